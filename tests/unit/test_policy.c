/*
 * test_policy.c: the rules for new passwords (issuer/crypto/policy.c) against
 * NIST SP 800-63B §5.1.1.2: at least 8 characters and a configured minimum
 * (12 by default), lengths counted in code points, not bytes; any character,
 * spaces and emoji included, and no composition rules; at least 64 characters
 * allowed (here up to 1024 bytes), never truncated; refused when malformed
 * (not UTF-8, NUL); refused when repetitive or sequential, when it is the
 * username (with digits after it), and when it is on a list of common
 * passwords. The list is the real one from Debian's john-data package
 * (/usr/share/john/password.lst, John the Ripper's): its real entries, in any
 * letter case, and that its "#!comment:" lines are not entries. Then the list
 * loader on files made here (CRLF, comments, duplicates, a NUL, empty, too
 * large, missing: with the package named for the default path), and checks
 * from several threads at once against one list.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The default list's path as the loader sees it, for this test only: a file
 * that does not exist, to see the message a missing list gets. */
#define POLICY_LIST_DEFAULT "/nonexistent/identity-backend-test/password.lst"
#include "../../issuer/crypto/policy.c"
#include "../test.h"

/* Where Debian's john-data puts John the Ripper's list. */
#define JOHN_LIST "/usr/share/john/password.lst"

static char dir[] = "/tmp/idb-policy-XXXXXX";

static const char *err_name(policy_err e)
{
	static const char *const names[] = {"OK",       "NOT_TEXT", "TOO_LONG", "TOO_SHORT",
	                                    "REPEATED", "SEQUENCE", "USERNAME", "LISTED"};

	return e == POLICY_BAD_ARGS ? "BAD_ARGS" : (unsigned)e < 8 ? names[e] : "?";
}

/* policy_check of pw (a C string) for user under p is want. */
static void expect(const struct policy *p, const char *user, const char *pw, policy_err want,
                   const char *what)
{
	char why[256] = "unchanged";
	policy_err e = policy_check(p, user, pw, strlen(pw), why, sizeof why);

	T_CHECK(e == want && (want == POLICY_OK) == (why[0] == '\0'), "%s: %s (got %s: %s)", what,
	        err_name(want), err_name(e), why);
}

/* A file in dir with content[0..len); returns its path (static, overwritten). */
static const char *file(const char *name, const char *content, size_t len)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (f) {
		fwrite(content, 1, len, f);
		fclose(f);
	}
	return path;
}

static void lengths(void)
{
	struct policy p;
	char big[POLICY_MAX_BYTES + 2], why[256];
	size_t i;

	policy_default(&p);
	T_CHECK(p.min_chars == 12 && p.list == NULL, "default: at least 12 characters, no list");
	expect(&p, NULL, "", POLICY_TOO_SHORT, "empty");
	expect(&p, NULL, "x", POLICY_TOO_SHORT, "one character");
	expect(&p, NULL, "tr0ub4dor&3", POLICY_TOO_SHORT, "11 characters");
	expect(&p, NULL, "tr0ub4dor&3x", POLICY_OK, "12 characters");
	policy_check(&p, NULL, "x", 1, why, sizeof why);
	T_CHECK(strstr(why, "at least 12 characters") != NULL, "the reason names the minimum: %s", why);
	/* Code points, not bytes: 11 characters of 2 bytes are 22 bytes and still too short. */
	expect(&p, NULL,
	       "\xc3\xa9\xc3\xa8\xc3\xaa\xc3\xab\xc3\xa0\xc3\xa2\xc3\xa4\xc3\xae\xc3\xaf\xc3\xb4\xc3\xb6",
	       POLICY_TOO_SHORT,
	       "\"\xc3\xa9\xc3\xa8\xc3\xaa\xc3\xab\xc3\xa0\xc3\xa2\xc3\xa4\xc3\xae\xc3\xaf\xc3\xb4\xc3\xb6\":"
	       " 11 characters in 22 bytes");
	expect(&p, NULL,
	       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
	       POLICY_TOO_SHORT, "\"\xc3\xa9\" 11 times: 11 characters in 22 bytes");
	expect(&p, NULL,
	       "\xc3\xa9\xc3\xa8\xc3\xaa\xc3\xab\xc3\xa0\xc3\xa2\xc3\xa4\xc3\xae\xc3\xaf\xc3\xb4\xc3\xb6\xc3"
	       "\xbc",
	       POLICY_OK, "12 accented letters (24 bytes)");
	/* 11 and 12 emoji of 4 bytes each. */
	expect(
	    &p, NULL,
	    "\xf0\x9f\x94\x91\xf0\x9f\x94\x92\xf0\x9f\x9a\xaa\xf0\x9f\x8f\xa0\xf0\x9f\x8c\xb3\xf0\x9f\x8c\x8a"
	    "\xf0\x9f\x94\xa5\xf0\x9f\x8d\x8e\xf0\x9f\x8e\xb5\xf0\x9f\x9a\xb2\xf0\x9f\x8c\x99",
	    POLICY_TOO_SHORT, "11 emoji (44 bytes)");
	expect(
	    &p, NULL,
	    "\xf0\x9f\x94\x91\xf0\x9f\x94\x92\xf0\x9f\x9a\xaa\xf0\x9f\x8f\xa0\xf0\x9f\x8c\xb3\xf0\x9f\x8c\x8a"
	    "\xf0\x9f\x94\xa5\xf0\x9f\x8d\x8e\xf0\x9f\x8e\xb5\xf0\x9f\x9a\xb2\xf0\x9f\x8c\x99\xf0\x9f\x8c"
	    "\x9e",
	    POLICY_OK, "12 emoji (48 bytes)");
	/* Any character, no composition rules (NIST: "SHOULD NOT impose other composition rules"). */
	expect(&p, NULL, "correct horse battery staple", POLICY_OK, "spaces and lower-case letters only");
	expect(&p, NULL, "      spaced out   ", POLICY_OK, "leading and trailing spaces, kept");
	expect(&p, NULL,
	       "\xe5\xaf\x86\xe7\xa0\x81\xe5\xbe\x88\xe9\x95\xbf\xe4\xbd\x86\xe6\x98\x93\xe8\xae\xb0\xe5\x90"
	       "\x97\xe5\x90\xa7\xe5\x91\xa2\xe5\xa5\xbd\xe7\x9a\x84",
	       POLICY_OK, "12 CJK characters");
	expect(&p, NULL, "pass\tword\x7fwith controls", POLICY_OK, "a tab and DEL are characters too");

	/* The longest: at least 64 characters always; 1024 bytes. */
	for (i = 0; i < 64; i++)
		big[i] = (char)('a' + (i * 7) % 26);
	big[64] = '\0';
	expect(&p, NULL, big, POLICY_OK, "64 characters");
	for (i = 0; i < 256; i++)
		memcpy(big + 4 * i, i % 2 ? "\xf0\x9f\x94\x91" : "\xf0\x9f\x8c\x99", 4);
	big[1024] = '\0';
	expect(&p, NULL, big, POLICY_OK, "256 emoji: 1024 bytes");
	for (i = 0; i < POLICY_MAX_BYTES + 1; i++)
		big[i] = (char)('a' + (i * 7) % 26);
	big[POLICY_MAX_BYTES] = '\0';
	expect(&p, NULL, big, POLICY_OK, "1024 ASCII characters");
	big[POLICY_MAX_BYTES] = 'q';
	big[POLICY_MAX_BYTES + 1] = '\0';
	expect(&p, NULL, big, POLICY_TOO_LONG, "1025 bytes");
	policy_check(&p, NULL, big, POLICY_MAX_BYTES + 1, why, sizeof why);
	T_CHECK(strstr(why, "at most 1024 bytes") != NULL, "the reason names the maximum: %s", why);

	/* Configured minimums: 8 (NIST's floor) up to 64. */
	p.min_chars = 8;
	expect(&p, NULL, "tr0ub4do", POLICY_OK, "min 8: 8 characters");
	expect(&p, NULL, "tr0ub4d", POLICY_TOO_SHORT, "min 8: 7 characters");
	p.min_chars = 20;
	expect(&p, NULL, "tr0ub4dor&3x-tr0ub4d", POLICY_OK, "min 20: 20 characters");
	expect(&p, NULL, "tr0ub4dor&3x-tr0ub4", POLICY_TOO_SHORT, "min 20: 19 characters");
	p.min_chars = 7;
	expect(&p, NULL, "tr0ub4dor&3x", POLICY_BAD_ARGS, "a policy of 7 characters is refused");
	p.min_chars = 65;
	expect(&p, NULL, "tr0ub4dor&3x", POLICY_BAD_ARGS, "a policy of 65 characters is refused");
	p.min_chars = 12;
	T_CHECK(policy_check(NULL, NULL, "tr0ub4dor&3x", 12, why, sizeof why) == POLICY_BAD_ARGS &&
	            policy_check(&p, NULL, NULL, 0, why, sizeof why) == POLICY_BAD_ARGS,
	        "no policy or no password: BAD_ARGS, not a verdict");
	T_CHECK(policy_check(&p, NULL, "tr0ub4dor&3x", 12, NULL, 0) == POLICY_OK &&
	            policy_check(&p, NULL, "x", 1, NULL, 0) == POLICY_TOO_SHORT,
	        "why may be NULL");
}

static void malformed(void)
{
	static const struct {
		const char *bytes;
		size_t n;
		const char *what;
	} bad[] = {
	    {"long enough \xff password", 22, "byte FF"},
	    {"long enough \xc0\xaf password", 23, "an overlong form of '/'"},
	    {"long enough \xed\xa0\x80 password", 24, "a surrogate (U+D800)"},
	    {"long enough \xf4\x90\x80\x80 password", 25, "past U+10FFFF"},
	    {"long enough password \xe2\x82", 23, "a sequence cut short at the end"},
	    {"long enough \x80 password", 22, "a stray continuation byte"},
	    {"long enough\0password", 20, "a NUL byte"},
	};
	struct policy p;
	char why[256];

	policy_default(&p);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		T_CHECK(policy_check(&p, NULL, bad[i].bytes, bad[i].n, why, sizeof why) == POLICY_NOT_TEXT &&
		            strstr(why, "UTF-8") != NULL,
		        "refused: %s (%s)", bad[i].what, why);
}

static void patterns(void)
{
	struct policy p;
	char why[256];

	policy_default(&p);
	/* "Repetitive or sequential characters (e.g. 'aaaaaa', '1234abcd')". */
	expect(&p, NULL, "aaaaaaaaaaaa", POLICY_REPEATED, "aaaaaaaaaaaa");
	expect(&p, NULL, "                ", POLICY_REPEATED, "16 spaces");
	expect(&p, NULL,
	       "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
	       "\xa9",
	       POLICY_REPEATED, "\"\xc3\xa9\" 12 times");
	expect(&p, NULL, "aaaaaaaaaaab", POLICY_OK, "11 a and one b: not one character repeated");
	expect(&p, NULL, "123456789012", POLICY_SEQUENCE, "123456789012 (digits wrap from 9 to 0)");
	expect(&p, NULL, "098765432109", POLICY_SEQUENCE, "098765432109 (down)");
	expect(&p, NULL, "abcdefghijkl", POLICY_SEQUENCE, "abcdefghijkl");
	expect(&p, NULL, "ABCDEFGHIJKLMNOP", POLICY_SEQUENCE, "ABCDEFGHIJKLMNOP");
	expect(&p, NULL, "zyxwvutsrqpo", POLICY_SEQUENCE, "zyxwvutsrqpo");
	expect(&p, NULL, "123456789013", POLICY_OK, "123456789013: the run broken at the end");
	expect(&p, NULL, "12345678abcd", POLICY_OK, "digits then letters: two runs, not one");
	expect(&p, NULL, "xyzabcdefghi", POLICY_OK, "letters do not wrap from z to a");
	policy_check(&p, NULL, "123456789012", 12, why, sizeof why);
	T_CHECK(strstr(why, "consecutive") != NULL, "the reason says consecutive: %s", why);

	/* "Context-specific words, such as the name of the service, the username". */
	expect(&p, "administrator", "administrator", POLICY_USERNAME, "the username");
	expect(&p, "administrator", "ADMINISTRATOR", POLICY_USERNAME, "the username in capitals");
	expect(&p, "administrator", "Administrator2024", POLICY_USERNAME, "the username and digits");
	expect(&p, "alice", "alice1234567", POLICY_USERNAME, "a short username and digits");
	expect(&p, "alice.smith", "alice.smith-2024", POLICY_OK, "the username, a hyphen, digits");
	expect(&p, "alice", "alice in wonderland", POLICY_OK, "the username in a phrase");
	expect(&p, "administrator", "administrator", POLICY_USERNAME, "checked before the list");
	expect(&p, NULL, "administrator", POLICY_OK, "no username: nothing to compare (no list here)");
	expect(&p, "", "administrator", POLICY_OK, "an empty username: nothing to compare");
	policy_check(&p, "administrator", "administrator", 13, why, sizeof why);
	T_CHECK(strstr(why, "username") != NULL && !strstr(why, "administrator"),
	        "the reason says username, and never shows the password: %s", why);
}

/* John the Ripper's list as Debian ships it. */
static void john(void)
{
	struct policy_list *l = NULL;
	struct policy p;
	char err[512], why[256];

	if (access(JOHN_LIST, R_OK) != 0) {
		T_CHECK(0, "%s is readable (Debian's john-data package: scripts/setup.sh installs it)",
		        JOHN_LIST);
		return;
	}
	T_CHECK(policy_list_load(JOHN_LIST, &l, err, sizeof err) == 0 && l, "john's list loads%s%s",
	        l ? "" : ": ", l ? "" : err);
	if (!l)
		return;
	/* 3545 lines that are not comments; 3410 distinct in any letter case ("Winnie", "winnie"). */
	T_CHECK(policy_list_count(l) > 3000 && policy_list_count(l) <= 3545,
	        "its entries are counted once in any letter case: %zu", policy_list_count(l));
	T_CHECK(policy_list_contains(l, "123456", 6) && policy_list_contains(l, "password", 8) &&
	            policy_list_contains(l, "password1", 9) && policy_list_contains(l, "iloveyou", 8) &&
	            policy_list_contains(l, "trustno1", 8) && policy_list_contains(l, "qwertyuiop", 10) &&
	            policy_list_contains(l, "asdfjkl;", 8) && policy_list_contains(l, "winniethepooh", 13),
	        "real entries are on it: 123456 password password1 iloveyou trustno1 qwertyuiop asdfjkl; "
	        "winniethepooh");
	T_CHECK(policy_list_contains(l, "PASSWORD", 8) && policy_list_contains(l, "WinnieThePooh", 13) &&
	            policy_list_contains(l, "winnie", 6) && policy_list_contains(l, "WINNIE", 6),
	        "in any letter case (the file has both winnie and Winnie)");
	T_CHECK(
	    !policy_list_contains(l, "123456789012", 12) &&
	        !policy_list_contains(l, "correct horse battery staple", 28) &&
	        !policy_list_contains(l, "password ", 9) && !policy_list_contains(l, "passwor", 7) &&
	        !policy_list_contains(l, "", 0),
	    "others are not: 123456789012, a passphrase, an entry with a space or a letter less, nothing");
	T_CHECK(!policy_list_contains(
	            l, "#!comment: This list has been compiled by Solar Designer of Openwall Project", 76) &&
	            !policy_list_contains(l, "#!comment:", 10),
	        "its #!comment: lines are not entries");

	policy_default(&p);
	p.list = l;
	expect(&p, NULL, "winniethepooh", POLICY_LISTED, "at the default minimum: winniethepooh (13)");
	expect(&p, NULL, "WinnieThePooh", POLICY_LISTED, "WinnieThePooh");
	expect(&p, NULL, "correct horse battery staple", POLICY_OK, "a passphrase not on the list");
	expect(&p, NULL, "winniethepooh!", POLICY_OK, "an entry with a character more");
	policy_check(&p, NULL, "winniethepooh", 13, why, sizeof why);
	T_CHECK(strcmp(why, "this password is on a list of common passwords") == 0, "the reason: %s", why);
	p.min_chars = 8;
	expect(&p, NULL, "password", POLICY_LISTED, "at a minimum of 8: password");
	expect(&p, NULL, "Password1", POLICY_LISTED, "Password1");
	expect(&p, NULL, "iloveyou", POLICY_LISTED, "iloveyou");
	expect(&p, NULL, "baseball", POLICY_LISTED, "baseball");
	expect(&p, NULL, "12345678", POLICY_SEQUENCE, "12345678 (a sequence, also listed)");
	expect(&p, NULL, "tr0ub4dor&3", POLICY_OK, "tr0ub4dor&3, not on it");
	policy_list_free(l);
}

/* The loader on files made here. */
static void loader(void)
{
	static const char text[] = "#!comment: a list made by test_policy.c\n"
	                           "#!comment:\n"
	                           "\n"
	                           "First Entry\r\n"
	                           "first entry\n"
	                           "second\n"
	                           "#not a comment\n"
	                           "with\0nul\n"
	                           "   spaced   \n"
	                           "last without newline";
	struct policy_list *l = NULL;
	char err[512], *big;
	const char *path;
	FILE *f;

	path = file("list.txt", text, sizeof text - 1);
	T_CHECK(policy_list_load(path, &l, err, sizeof err) == 0 && l, "a list made here loads");
	if (l) {
		T_CHECK(policy_list_count(l) == 5,
		        "5 entries: comments, the empty line and the line with a NUL are "
		        "skipped, and First Entry is first entry (got %zu)",
		        policy_list_count(l));
		T_CHECK(policy_list_contains(l, "FIRST ENTRY", 11) && policy_list_contains(l, "second", 6) &&
		            policy_list_contains(l, "#not a comment", 14) &&
		            policy_list_contains(l, "   spaced   ", 12) &&
		            policy_list_contains(l, "last without newline", 20),
		        "its entries: CRLF ended, '#' is only a comment as #!comment:, spaces kept, the last "
		        "line");
		T_CHECK(!policy_list_contains(l, "first entry\r", 12) &&
		            !policy_list_contains(l, "spaced", 6) && !policy_list_contains(l, "with", 4) &&
		            !policy_list_contains(l, "nul", 3) && !policy_list_contains(l, "with\0nul", 8),
		        "not entries: the CR, trimmed spaces, either half of the line with a NUL");
		policy_list_free(l);
	}

	big = malloc(POLICY_MAX_BYTES + 16);
	if (big) {
		memset(big, 'k', POLICY_MAX_BYTES + 1);
		memcpy(big + POLICY_MAX_BYTES + 1, "\nshort\n", 7);
		path = file("long.txt", big, POLICY_MAX_BYTES + 8);
		l = NULL;
		T_CHECK(policy_list_load(path, &l, err, sizeof err) == 0 && policy_list_count(l) == 1 &&
		            policy_list_contains(l, "short", 5) &&
		            !policy_list_contains(l, big, POLICY_MAX_BYTES),
		        "a line longer than any password is skipped");
		policy_list_free(l);
		free(big);
	}

	path = file("comments.txt", "#!comment: nothing else\n\n\r\n", 27);
	l = (struct policy_list *)1;
	T_CHECK(policy_list_load(path, &l, err, sizeof err) == -1 && l == NULL && strstr(err, path) &&
	            strstr(err, "holds no password"),
	        "a list of only comments is refused: %s", err);
	path = file("empty.txt", "", 0);
	T_CHECK(policy_list_load(path, &l, err, sizeof err) == -1 && l == NULL &&
	            strstr(err, "holds no password"),
	        "an empty file is refused: %s", err);
	T_CHECK(policy_list_load(dir, &l, err, sizeof err) == -1 && l == NULL &&
	            strstr(err, "not a regular file"),
	        "a folder is refused: %s", err);
	T_CHECK(policy_list_load("/nonexistent/list.txt", &l, err, sizeof err) == -1 && l == NULL &&
	            strstr(err, "/nonexistent/list.txt") && strstr(err, "No such file") &&
	            !strstr(err, POLICY_LIST_PACKAGE),
	        "a missing file: its path and why (another file: no package named): %s", err);
	T_CHECK(policy_list_load(POLICY_LIST_DEFAULT, &l, err, sizeof err) == -1 && l == NULL &&
	            strstr(err, POLICY_LIST_DEFAULT) && strstr(err, "Debian's john-data package"),
	        "the default list missing: the package that installs it is named: %s", err);
	/* A sparse file one byte over the limit: refused by its size, never read. */
	path = file("huge.txt", "", 0);
	f = fopen(path, "r+b");
	if (f && ftruncate(fileno(f), (off_t)POLICY_LIST_MAX_BYTES + 1) == 0) {
		fclose(f);
		T_CHECK(policy_list_load(path, &l, err, sizeof err) == -1 && l == NULL &&
		            strstr(err, "larger than"),
		        "a file over POLICY_LIST_MAX_BYTES is refused: %s", err);
	} else {
		if (f)
			fclose(f);
		T_CHECK(0, "cannot make a sparse file of %u bytes", POLICY_LIST_MAX_BYTES + 1);
	}
	unlink(path);
}

/* Several threads check against one list at once: each sees the answers one thread sees. */
struct worker {
	const struct policy *p;
	int wrong;
};

static void *work(void *arg)
{
	static const struct {
		const char *user, *pw;
		policy_err want;
	} cases[] = {
	    {"alice", "winniethepooh", POLICY_LISTED},   {"alice", "alice2024alice", POLICY_OK},
	    {"alice", "Alice20242024", POLICY_USERNAME}, {NULL, "correct horse battery staple", POLICY_OK},
	    {NULL, "123456789012", POLICY_SEQUENCE},     {NULL, "short", POLICY_TOO_SHORT},
	};
	struct worker *w = arg;
	char why[256];

	for (int i = 0; i < 2000; i++)
		for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
			w->wrong += policy_check(w->p, cases[c].user, cases[c].pw, strlen(cases[c].pw), why,
			                         sizeof why) != cases[c].want;
	return NULL;
}

static void threads(void)
{
	struct policy_list *l = NULL;
	struct policy p;
	struct worker w[4];
	pthread_t t[4];
	char err[512];
	int started = 0, wrong = 0;

	if (policy_list_load(JOHN_LIST, &l, err, sizeof err) != 0) {
		T_CHECK(0, "john's list loads for the threads: %s", err);
		return;
	}
	policy_default(&p);
	p.list = l;
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){.p = &p};
		started += pthread_create(&t[i], NULL, work, &w[i]) == 0;
	}
	for (int i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		wrong += w[i].wrong;
	}
	T_CHECK(started == 4 && wrong == 0, "4 threads check 12000 passwords each against one list: %d wrong",
	        wrong);
	policy_list_free(l);
}

/* Remove the files loader() made, and the folder. */
static void cleanup(void)
{
	static const char *const names[] = {"list.txt", "long.txt", "comments.txt", "empty.txt", "huge.txt"};
	char path[256];

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		T_CHECK(0, "a temporary folder");
		T_DONE();
	}
	lengths();
	malformed();
	patterns();
	john();
	loader();
	threads();
	cleanup();
	T_DONE();
}
