/*
 * brand.c: reading BRAND_DIR (see brand.h). It reads each file once, bounded by
 * its limit, and never keeps a file it has not checked; nothing here runs per
 * request.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/brand.h"

/* Read dir/name (at most max bytes) into a new buffer *out of *len bytes: 1 when
 * read, 0 when it does not exist, -1 with err. */
static int read_file(const char *dir, const char *name, size_t max, char **out, size_t *len, char *err,
                     size_t errlen)
{
	char path[4096];
	struct stat st;
	ssize_t got = 0;
	size_t n = 0;
	int fd;

	*out = NULL, *len = 0;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;
		return snprintf(err, errlen, "BRAND_DIR: cannot read %s: %s", path, strerror(errno)), -1;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < 0 || (size_t)st.st_size > max) {
		close(fd);
		return snprintf(err, errlen, "BRAND_DIR: %s is not a regular file of at most %zu bytes", path,
		                max),
		       -1;
	}
	if (!(*out = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return snprintf(err, errlen, "BRAND_DIR: %s: out of memory", path), -1;
	}
	while (n < (size_t)st.st_size && (got = read(fd, *out + n, (size_t)st.st_size - n)) > 0)
		n += (size_t)got;
	close(fd);
	if (got < 0) {
		free(*out), *out = NULL;
		return snprintf(err, errlen, "BRAND_DIR: cannot read %s: %s", path, strerror(errno)), -1;
	}
	(*out)[n] = '\0';
	*len = n;
	return 1;
}

/* 1 when p[0..n) looks like an SVG document: optional BOM and space, then '<', and "<svg" within. */
static int is_svg(const char *p, size_t n)
{
	size_t i = n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;

	while (i < n && strchr(" \t\r\n", p[i]))
		i++;
	return i < n && p[i] == '<' && memchr(p, '\0', n) == NULL && strstr(p, "<svg") != NULL;
}

static int is_png(const char *p, size_t n)
{
	return n > 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0;
}

/* The logo: logo.svg, else logo.png; 0 or -1 with err. */
static int read_logo(const char *dir, struct brand *b, char *err, size_t errlen)
{
	int r = read_file(dir, "logo.svg", BRAND_LOGO_MAX, &b->logo, &b->logo_len, err, errlen);

	if (r > 0) {
		b->logo_name = "logo.svg", b->logo_type = "image/svg+xml";
		return is_svg(b->logo, b->logo_len)
		           ? 0
		           : (snprintf(err, errlen, "BRAND_DIR: %s/logo.svg is not an SVG image", dir), -1);
	}
	if (r < 0 ||
	    (r = read_file(dir, "logo.png", BRAND_LOGO_MAX, &b->logo, &b->logo_len, err, errlen)) <= 0)
		return r;
	b->logo_name = "logo.png", b->logo_type = "image/png";
	return is_png(b->logo, b->logo_len)
	           ? 0
	           : (snprintf(err, errlen, "BRAND_DIR: %s/logo.png is not a PNG image", dir), -1);
}

/* see brand.h */
int brand_load(const char *dir, struct brand *out, char *err, size_t errlen)
{
	struct stat st;

	memset(out, 0, sizeof *out);
	if (!dir || !*dir)
		return 0;
	if (stat(dir, &st))
		return snprintf(err, errlen, "BRAND_DIR: cannot open the folder %s: %s", dir,
		                strerror(errno)),
		       -1;
	if (!S_ISDIR(st.st_mode))
		return snprintf(err, errlen, "BRAND_DIR: %s is not a folder", dir), -1;
	if (access(dir, R_OK | X_OK))
		return snprintf(err, errlen, "BRAND_DIR: cannot read the folder %s: %s", dir,
		                strerror(errno)),
		       -1;
	if (read_logo(dir, out, err, errlen) < 0 ||
	    read_file(dir, "brand.css", BRAND_CSS_MAX, &out->css, &out->css_len, err, errlen) < 0)
		goto fail;
	if (out->css && memchr(out->css, '\0', out->css_len)) {
		snprintf(err, errlen, "BRAND_DIR: %s/brand.css is not text (it holds a NUL byte)", dir);
		goto fail;
	}
	return 0;
fail:
	brand_free(out);
	return -1;
}

/* see brand.h */
void brand_free(struct brand *b)
{
	free(b->css);
	free(b->logo);
	memset(b, 0, sizeof *b);
}
