/*
 * policy.c: the rules for new passwords and the list of common passwords they
 * are checked against (see policy.h). The list is read once into one buffer (the
 * file's text, its entries lowercased and NUL-terminated in place) and a hash set
 * of offsets into it (open addressing, linear probing, at most half full), so a
 * check costs one pass over the password and one lookup, whatever the list's size.
 *
 * It must never: print, log, copy or keep a password (the hash and the
 * comparisons read the caller's bytes where they are); answer OK for a password
 * it did not read to the end; change a list after loading it (checks on other
 * threads read it without a lock); depend on the locale (letter case is ASCII's).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto/policy.h"
#include "jose_utf8.h"

/* How John the Ripper's wordlists mark a comment line (john skips them too). */
#define COMMENT "#!comment:"

struct policy_list {
	char *text;      /* the file; kept entries lowercased and NUL-terminated, the rest zeroed */
	uint32_t *slots; /* an entry's offset in text + 1, or 0 for an empty slot */
	size_t mask;     /* slot count - 1: a power of two, at least twice the entries */
	size_t count;    /* distinct entries */
};

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c + ('a' - 'A')) : c;
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* FNV-1a (64 bits) of s[0..n) with ASCII letters lowercased. Unkeyed: the set's
 * contents are the operator's file, so no sender of passwords can lengthen its
 * probe runs; the longest run is fixed when the list is loaded. */
static uint64_t hash(const unsigned char *s, size_t n)
{
	uint64_t h = 14695981039346656037u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ lower(s[i])) * 1099511628211u;
	return h;
}

/* The slot that holds s[0..n) (in any ASCII letter case) in l, or the empty slot
 * where it would go. Ends: the set is never more than half full. */
static size_t find(const struct policy_list *l, const unsigned char *s, size_t n)
{
	size_t i = (size_t)hash(s, n) & l->mask, k;

	for (;; i = (i + 1) & l->mask) {
		const char *e;

		if (!l->slots[i])
			return i;
		e = l->text + l->slots[i] - 1;
		for (k = 0; k < n && e[k] && (unsigned char)e[k] == lower(s[k]); k++)
			;
		if (k == n && e[n] == '\0')
			return i;
	}
}

/* ---- the list ---- */

/* see policy.h */
size_t policy_list_count(const struct policy_list *l)
{
	return l ? l->count : 0;
}

/* see policy.h */
int policy_list_contains(const struct policy_list *l, const char *pw, size_t len)
{
	return l && pw && l->slots[find(l, (const unsigned char *)pw, len)] != 0;
}

/* see policy.h */
void policy_list_free(struct policy_list *l)
{
	if (!l)
		return;
	free(l->text);
	free(l->slots);
	free(l);
}

/* Read the regular file at path, at most POLICY_LIST_MAX_BYTES, into a new
 * NUL-terminated *text of *len bytes. 0, or -1 with the reason in err. */
static int read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	size_t size, got = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = -1;

	*text = NULL;
	if (fd < 0 || fstat(fd, &st) != 0) {
		int e = errno;
		snprintf(err, errlen, "cannot read %s: %s%s", path, strerror(e),
		         e == ENOENT && strcmp(path, POLICY_LIST_DEFAULT) == 0
		             ? " (Debian's " POLICY_LIST_PACKAGE " package installs it)"
		             : "");
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		goto out;
	}
	if ((uintmax_t)st.st_size > POLICY_LIST_MAX_BYTES) {
		snprintf(err, errlen, "%s is larger than %u MiB", path,
		         (unsigned)(POLICY_LIST_MAX_BYTES >> 20));
		goto out;
	}
	size = (size_t)st.st_size;
	if (!(*text = malloc(size + 1))) {
		snprintf(err, errlen, "cannot read %s: out of memory", path);
		goto out;
	}
	/* A file that grows meanwhile is read up to the size it had; one that shrinks, to its end. */
	while (got < size && (n = read(fd, *text + got, size - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
			goto out;
		}
		got += (size_t)n;
	}
	(*text)[got] = '\0';
	*len = got;
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc) {
		free(*text);
		*text = NULL;
	}
	return rc;
}

/*
 * Turn text[0..len) into entries in place: each kept line lowercased and
 * NUL-terminated where its "\n" (or "\r\n") was; every byte of a skipped line
 * zeroed, so that the entries are exactly the non-empty strings of text.
 * Returns the number of kept lines (duplicates included).
 */
static size_t split_lines(char *text, size_t len)
{
	size_t kept = 0, i = 0;

	while (i < len) {
		char *line = text + i, *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i, end = i + n + (nl != NULL);

		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0 || n > POLICY_MAX_BYTES || memchr(line, '\0', n) ||
		    (n >= sizeof COMMENT - 1 && memcmp(line, COMMENT, sizeof COMMENT - 1) == 0)) {
			memset(line, 0, end - i);
		} else {
			for (size_t k = 0; k < n; k++)
				line[k] = (char)lower((unsigned char)line[k]);
			memset(line + n, 0, end - i - n);
			kept++;
		}
		i = end;
	}
	return kept;
}

/* see policy.h */
int policy_list_load(const char *path, struct policy_list **out, char *err, size_t errlen)
{
	struct policy_list *l = NULL;
	size_t len = 0, kept, slots = 16, i, n, at;
	char *text = NULL;
	int rc = -1;

	*out = NULL;
	if (read_file(path, &text, &len, err, errlen))
		goto out;
	kept = split_lines(text, len);
	if (kept == 0) {
		snprintf(err, errlen, "%s holds no password (only comments or empty lines)", path);
		goto out;
	}
	while (slots < 2 * kept)
		slots *= 2;
	if (!(l = calloc(1, sizeof *l)) || !(l->slots = calloc(slots, sizeof *l->slots))) {
		snprintf(err, errlen, "cannot load %s: out of memory", path);
		goto out;
	}
	l->text = text;
	text = NULL;
	l->mask = slots - 1;
	for (i = 0; i < len; i += n + 1) {
		if ((n = strlen(l->text + i)) == 0)
			continue;
		at = find(l, (const unsigned char *)l->text + i, n);
		if (!l->slots[at]) { /* a repeat ("Winnie" after "winnie") is kept once */
			l->slots[at] = (uint32_t)(i + 1);
			l->count++;
		}
	}
	*out = l;
	l = NULL;
	rc = 0;
out:
	free(text);
	policy_list_free(l);
	return rc;
}

/* ---- the rules ---- */

/* 1 when s[0..len) (ASCII) is one run of consecutive digits or letters, up or down:
 * digits wrap around ("8901", "1098"), letters (in any case) do not. */
static int sequence(const unsigned char *s, size_t len)
{
	int up = 1, down = 1;

	for (size_t i = 1; i < len; i++) {
		unsigned char a = lower(s[i - 1]), b = lower(s[i]);

		if (is_digit(a) && is_digit(b)) {
			up &= b == (a == '9' ? '0' : a + 1);
			down &= b == (a == '0' ? '9' : a - 1);
		} else if (a >= 'a' && a <= 'z' && b >= 'a' && b <= 'z') {
			up &= b == a + 1;
			down &= b == a - 1;
		} else {
			return 0;
		}
	}
	return up || down;
}

/* 1 when s[0..len) is the username, or the username followed by digits, in any
 * ASCII letter case; 0 when there is no username. */
static int username_like(const char *user, const unsigned char *s, size_t len)
{
	size_t n = user ? strlen(user) : 0, i;

	if (n == 0 || len < n)
		return 0;
	for (i = 0; i < n; i++)
		if (lower((unsigned char)user[i]) != lower(s[i]))
			return 0;
	for (; i < len; i++)
		if (!is_digit(s[i]))
			return 0;
	return 1;
}

/* The reason for e in why[whylen] (all of the module's words for people are
 * here); returns e. */
static policy_err refuse(policy_err e, unsigned min_chars, char *why, size_t whylen)
{
	if (!why || !whylen)
		return e;
	switch (e) {
	case POLICY_OK:
		why[0] = '\0';
		break;
	case POLICY_NOT_TEXT:
		snprintf(why, whylen, "not text: a password must be UTF-8 without NUL characters");
		break;
	case POLICY_TOO_LONG:
		snprintf(
		    why, whylen, "too long: at most %u bytes (%u characters of any kind, %u of plain ASCII)",
		    (unsigned)POLICY_MAX_BYTES, (unsigned)POLICY_MAX_BYTES / 4, (unsigned)POLICY_MAX_BYTES);
		break;
	case POLICY_TOO_SHORT:
		snprintf(
		    why, whylen,
		    "too short: at least %u characters (a few unrelated words with spaces make a good one)",
		    min_chars);
		break;
	case POLICY_REPEATED:
		snprintf(why, whylen, "one character repeated: that is among the first things guessed");
		break;
	case POLICY_SEQUENCE:
		snprintf(why, whylen,
		         "consecutive digits or letters (like 123456789012 or abcdefghijkl) are among the "
		         "first things guessed");
		break;
	case POLICY_USERNAME:
		snprintf(why, whylen,
		         "the username, alone or with digits after it, is among the first things guessed");
		break;
	case POLICY_LISTED:
		snprintf(why, whylen, "this password is on a list of common passwords");
		break;
	case POLICY_BAD_ARGS:
	default:
		snprintf(why, whylen,
		         "the password policy is not set up (no policy, no password, or a "
		         "minimum length out of range)");
		break;
	}
	return e;
}

/* see policy.h */
policy_err policy_check(const struct policy *p, const char *username, const char *pw, size_t len, char *why,
                        size_t whylen)
{
	const unsigned char *s = (const unsigned char *)pw;
	size_t chars = 0, first = 0, i, n;
	int repeated = 1;

	if (!p || !pw || p->min_chars < POLICY_MIN_CHARS_FLOOR || p->min_chars > POLICY_MIN_CHARS_MAX)
		return refuse(POLICY_BAD_ARGS, 0, why, whylen);
	if (len > POLICY_MAX_BYTES)
		return refuse(POLICY_TOO_LONG, p->min_chars, why, whylen);
	for (i = 0; i < len; i += n, chars++) {
		if (s[i] == 0 || !(n = jose_utf8_seq(s + i, len - i, NULL)))
			return refuse(POLICY_NOT_TEXT, p->min_chars, why, whylen);
		if (i == 0)
			first = n;
		else if (n != first || memcmp(s, s + i, n) != 0)
			repeated = 0;
	}
	if (chars < p->min_chars)
		return refuse(POLICY_TOO_SHORT, p->min_chars, why, whylen);
	if (repeated)
		return refuse(POLICY_REPEATED, p->min_chars, why, whylen);
	if (sequence(s, len))
		return refuse(POLICY_SEQUENCE, p->min_chars, why, whylen);
	if (username_like(username, s, len))
		return refuse(POLICY_USERNAME, p->min_chars, why, whylen);
	if (p->list && policy_list_contains(p->list, pw, len))
		return refuse(POLICY_LISTED, p->min_chars, why, whylen);
	return refuse(POLICY_OK, p->min_chars, why, whylen);
}

/* see policy.h */
void policy_default(struct policy *p)
{
	p->min_chars = POLICY_MIN_CHARS_DEFAULT;
	p->list = NULL;
}
