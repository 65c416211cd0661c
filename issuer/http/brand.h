/*
 * brand.h: BRAND_DIR, a folder of the operator's look for the pages, read once at
 * start-up (a restart applies a change; no rebuild):
 *   logo.svg or logo.png  shown at the top of every page (SVG first when both),
 *                         served at /static/logo.svg or /static/logo.png;
 *   brand.css             served at /static/brand.css, linked after style.css on
 *                         every page: it overrides style.css's custom properties
 *                         (--accent, --bg, --card, --text, --field-border, ...).
 * Any file may be missing; other files in the folder are ignored. A folder that
 * cannot be read, or a file that is not a regular file, cannot be read, is larger
 * than its limit or is not what its name says, stops the start with one line
 * saying which and why (`doctor` reports the same). The pages' CSP is unchanged:
 * brand.css is a file from 'self', never an inline style.
 */
#ifndef ISSUER_BRAND_H
#define ISSUER_BRAND_H

#include <stddef.h>

/* Largest brand.css and logo accepted, bytes. */
#ifndef BRAND_CSS_MAX
#define BRAND_CSS_MAX (64 * 1024)
#endif
#ifndef BRAND_LOGO_MAX
#define BRAND_LOGO_MAX (256 * 1024)
#endif

/* The brand folder's files, in memory (NULL and 0 for a missing one). */
struct brand {
	char *css;
	size_t css_len;
	char *logo;
	size_t logo_len;
	const char *logo_name; /* "logo.svg" or "logo.png", or NULL */
	const char *logo_type; /* its media type */
};

/* Read the folder dir (NULL or "": no brand, *out empty) into *out: 0, or -1 with a
 * one-line reason in err ("BRAND_DIR: /srv/brand/logo.png: not a PNG image"). */
int brand_load(const char *dir, struct brand *out, char *err, size_t errlen);

/* Free what brand_load read. */
void brand_free(struct brand *b);

#endif
