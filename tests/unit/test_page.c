/*
 * test_page.c: the page renderer and the embedded pages (issuer/page.c, included
 * to reach its statics; the pages are the real www/ files the Makefile embeds).
 * Escaping follows the HTML Standard's "escaping a string" set plus the
 * apostrophe (OWASP XSS Prevention Cheat Sheet, rule 1: & < > " '), so a value
 * is inert inside text and inside quoted attribute values of either quote.
 * Security regressions: XSS through a template value (a username, a client id,
 * a state), CSP header injection through a redirect URI's origin.
 * The catalogs (http/i18n.c, included for its statics): every {{t:key}} of a page is
 * in English, a missing translation falls back to English, Accept-Language and
 * ui_locales choose as RFC 9110 §12.5.4 and OIDC Core §3.1.2.1 say.
 */
#include "../../issuer/http/page.c"
#include "../../issuer/http/http.c"
#include "../../issuer/http/i18n.c"
#include "../../issuer/http/proxies.c"
#include "../../issuer/http/response.c"
#include "../test.h"

static int render_is(const char *tpl, const struct page_var *v, size_t n, const char *want)
{
	size_t len = 0;
	char *out = page_render(tpl, strlen(tpl), v, n, &len);
	int ok = out && len == strlen(want) && strcmp(out, want) == 0;

	if (!ok)
		printf("# got \"%s\", want \"%s\"\n", out ? out : "(null)", want);
	free(out);
	return ok;
}

static void test_escape(void)
{
	char out[64];
	size_t n = page_escape("a&b<c>d\"e'f", out, sizeof out);

	T_CHECK(n == strlen("a&amp;b&lt;c&gt;d&quot;e&#39;f") &&
	            strcmp(out, "a&amp;b&lt;c&gt;d&quot;e&#39;f") == 0,
	        "escape: & < > \" ' become entities");
	T_CHECK(page_escape("<<", out, 5) == 8, "escape: returns the length needed when out is too small");
	T_CHECK(page_escape("", out, sizeof out) == 0 && out[0] == '\0', "escape: empty string");
	T_CHECK(page_escape("é ü ✓", out, sizeof out) == strlen("é ü ✓") && strcmp(out, "é ü ✓") == 0,
	        "escape: UTF-8 passes unchanged");
}

static void test_render(void)
{
	const struct page_var v[] = {
	    {"name", "Ann"}, {"x", "<script>alert('1')</script>"}, {"nil", NULL}, {"brace", "{{name}}"}};

	T_CHECK(render_is("Hi {{name}}!", v, 4, "Hi Ann!"), "render: a placeholder becomes its value");
	T_CHECK(render_is("{{name}}{{name}}", v, 4, "AnnAnn"), "render: adjacent placeholders");
	T_CHECK(render_is("<p title=\"{{x}}\">{{x}}</p>", v, 4,
	                  "<p title=\"&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt;\">"
	                  "&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt;</p>"),
	        "render: XSS through a value is escaped in text and attributes");
	T_CHECK(render_is("[{{unknown}}][{{nil}}]", v, 4, "[][]"),
	        "render: unknown and NULL values render as nothing");
	T_CHECK(render_is("{{brace}}", v, 4, "{{name}}"), "render: a value is never expanded again");
	T_CHECK(render_is("a {{ name }} {{name} {{} {{", v, 4, "a {{ name }} {{name} {{} {{"),
	        "render: anything not exactly {{name}} is copied as is");
	T_CHECK(render_is("{{{name}}}", v, 4, "{Ann}"), "render: triple braces are no raw insertion");
	T_CHECK(render_is("{{na-me}}", v, 4, "{{na-me}}"), "render: names are A-Z a-z 0-9 _ only");
	T_CHECK(
	    render_is("{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}", v, 4, "{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}"),
	    "render: a name over PAGE_NAME_MAX is no placeholder");
	T_CHECK(render_is("", v, 4, ""), "render: empty template");
	{
		size_t big = PAGE_MAX / 4 + 1, len;
		char *value = malloc(big + 1), *out;
		memset(value, '<', big);
		value[big] = '\0';
		const struct page_var b[] = {{"v", value}};
		out = page_render("{{v}}", 5, b, 1, &len);
		T_CHECK(out == NULL, "render: output over PAGE_MAX is refused (NULL)");
		free(out);
		free(value);
	}
}

static int origin_is(const char *uri, const char *want)
{
	char out[256];

	page_origin(uri, out, sizeof out);
	if (strcmp(out, want) != 0)
		printf("# origin of \"%s\": got \"%s\", want \"%s\"\n", uri, out, want);
	return strcmp(out, want) == 0;
}

static void test_origin(void)
{
	T_CHECK(origin_is("https://app.example:8443/cb", "https://app.example:8443"),
	        "origin: scheme, host, port");
	T_CHECK(origin_is("http://127.0.0.1:9/cb?x=1", "http://127.0.0.1:9"), "origin: an IPv4 literal");
	T_CHECK(origin_is("http://[::1]:8080/cb", "http://[::1]:8080"), "origin: an IPv6 literal");
	T_CHECK(origin_is("https://app.example", "https://app.example"), "origin: no path");
	T_CHECK(origin_is("com.example.app:/oauth2redirect", "com.example.app:"),
	        "origin: private-use scheme source");
	T_CHECK(origin_is("https://a.example;script-src *", ""), "origin: CSP header injection refused");
	T_CHECK(origin_is("https://a.example 'unsafe-inline'/", ""), "origin: a space refused");
	T_CHECK(origin_is("https://user@a.example/", ""), "origin: userinfo refused");
	T_CHECK(origin_is("javascript:alert(1)", "") && origin_is("DATA:text/html,x", ""),
	        "origin: javascript: and data: give nothing");
	T_CHECK(origin_is("", "") && origin_is("://x", "") && origin_is("https://", ""), "origin: malformed");
}

/* 1 when every <script of t is the pages' one script by reference, passkey.js (the
 * CSP allows nothing inline). */
static int only_our_script(const char *t)
{
	static const char ours[] = "<script src=\"{{base}}/static/passkey.js\" defer></script>";

	for (const char *p = t; (p = strstr(p, "<script")) != NULL; p += 7)
		if (strncmp(p, ours, sizeof ours - 1) != 0)
			return 0;
	return 1;
}

/* Every {{name}} of the embedded file is one of names (NULL-terminated) or one every
 * page gets (page.h), and every {{t:key}} an English message. */
static int placeholders_known(const char *file, const char *const *names)
{
	static const char *const site[] = {"base", "lang", "brand_logo", "brand_class", NULL};
	size_t len, n;
	const char *t = page_file(file, &len);
	int msg;

	for (size_t i = 0; t && i < len; i++) {
		if (!placeholder(t + i, len - i, &n, &msg))
			continue;
		if (msg && !i18n_message(I18N_EN, t + i + 4, n, NULL, 0)) {
			printf("# %s: no English message %.*s\n", file, (int)n, t + i + 4);
			return 0;
		}
		int found = msg;
		for (const char *const *p = names; *p; p++)
			found |= strlen(*p) == n && memcmp(*p, t + i + 2, n) == 0;
		for (const char *const *p = site; *p; p++)
			found |= strlen(*p) == n && memcmp(*p, t + i + 2, n) == 0;
		if (!found) {
			printf("# %s: unknown placeholder %.*s\n", file, (int)n, t + i + 2);
			return 0;
		}
	}
	return t != NULL;
}

static void test_pages(void)
{
	static const char *const files[] = {
	    "login.html",   "consent.html",     "error.html",         "signed-out.html",   "logout.html",
	    "forgot.html",  "reset.html",       "verify.html",        "register.html",     "mfa.html",
	    "account.html", "account-app.html", "account-codes.html", "account-login.html"};
	/* {{base}}: the issuer URL's path, which page_send adds to every page's values. */
	static const char *const login[] = {"base",
	                                    "lead",
	                                    "flow",
	                                    "csrf",
	                                    "username",
	                                    "message",
	                                    "logo",
	                                    "logo_class",
	                                    "forgot_class",
	                                    "register_class",
	                                    "links_class",
	                                    "username_focus",
	                                    "password_focus",
	                                    "password_invalid",
	                                    "rp_id",
	                                    "passkey_class",
	                                    NULL};
	static const char *const mfa[] = {"lead",          "message",    "flow",        "csrf",
	                                  "action",        "code_class", "challenge",   "passkey_action",
	                                  "passkey_class", "rp_id",      "credentials", NULL};
	static const char *const account[] = {"username",      "display_name",
	                                      "notice",        "message",
	                                      "csrf",          "app_rows_html",
	                                      "app_add_class", "passkey_rows_html",
	                                      "codes_class",   "n",
	                                      "total",         "session_rows_html",
	                                      "challenge",     "rp_id",
	                                      "rp_name",       "user_handle",
	                                      "credentials",   NULL};
	static const char *const account_app[] = {"csrf", "id", "secret", "uri", "qr", "message", NULL};
	static const char *const account_codes[] = {"codes", "notice", NULL};
	static const char *const account_login[] = {
	    "csrf", "username", "message", "username_focus", "password_focus", "password_invalid", NULL};
	static const char *const account_row[] = {"label", "meta", "csrf", "action", "id", "button", NULL};
	static const char *const consent[] = {"base", "client", "user",       "scopes", "flow",
	                                      "csrf", "logo",   "logo_class", NULL};
	static const char *const error[] = {"base", "title", "message", NULL};
	static const char *const logout[] = {"base",  "csrf", "client_id", "post_logout_redirect_uri",
	                                     "state", NULL};
	static const char *const forgot[] = {"base", "csrf", "email", "message", NULL};
	static const char *const reset[] = {"base", "csrf", "token", "username", "message", NULL};
	static const char *const verify[] = {"base", "csrf", "token", "email", "username", NULL};
	static const char *const reg[] = {"base", "csrf", "username", "email", "name", "message", NULL};
	size_t len;
	const char *css = page_file("style.css", &len);

	T_CHECK(css && len > 100 && page_file("nope.html", &len) == NULL,
	        "pages: style.css embedded, unknown names absent");
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		const char *t = page_file(files[i], &len);
		T_CHECK(t && strlen(t) == len && strstr(t, "<html lang=\"{{lang}}\">") &&
		            strstr(t, "name=\"viewport\"") &&
		            strstr(t, "href=\"{{base}}/static/style.css\">\n<link rel=\"stylesheet\" "
		                      "href=\"{{base}}/static/brand.css\">") &&
		            only_our_script(t) && !strstr(t, "style=\""),
		        "pages: %s: lang, viewport, style.css then brand.css, no script but passkey.js, no "
		        "inline "
		        "style",
		        files[i]);
	}
	T_CHECK(placeholders_known("mfa.html", mfa) && placeholders_known("account.html", account) &&
	            placeholders_known("account-app.html", account_app) &&
	            placeholders_known("account-codes.html", account_codes) &&
	            placeholders_known("account-login.html", account_login) &&
	            placeholders_known("account-row.html", account_row),
	        "pages: the second step and the account pages use only their placeholders");
	T_CHECK(placeholders_known("login.html", login), "pages: login.html uses only its placeholders");
	T_CHECK(placeholders_known("consent.html", consent),
	        "pages: consent.html uses only its placeholders");
	T_CHECK(placeholders_known("error.html", error), "pages: error.html uses only its placeholders");
	T_CHECK(placeholders_known("logout.html", logout), "pages: logout.html uses only its placeholders");
	T_CHECK(placeholders_known("forgot.html", forgot) && placeholders_known("reset.html", reset) &&
	            placeholders_known("verify.html", verify) && placeholders_known("register.html", reg),
	        "pages: forgot, reset, verify and register use only their placeholders");
	{
		const char *t = page_file("login.html", &len);
		T_CHECK(
		    t && strstr(t, "<form method=\"post\" action=\"{{base}}/login\">") &&
		        strstr(t, "name=\"username\" type=\"text\" value=\"{{username}}\" "
		                  "autocomplete=\"username\"") &&
		        strstr(t, "name=\"password\" type=\"password\" autocomplete=\"current-password\"") &&
		        strstr(t, "role=\"alert\"") && strstr(t, "<label for=\"username\">") &&
		        strstr(t, "<label for=\"password\">"),
		    "pages: login.html has the post form, labelled username and password, an alert");
	}
	{
		const struct page_var v[] = {{"username", "\"><script>x</script>"}, {"message", "<b>"}};
		const char *t = page_file("login.html", &len);
		char *out = page_render(t, len, v, 2, &len);
		T_CHECK(out && !strstr(out, "<script>") && !strstr(out, "<b>") &&
		            strstr(out, "value=\"&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""),
		        "pages: a hostile username stays inside its attribute (XSS)");
		free(out);
	}
}

/* response_json_*: a cJSON allocation that fails marks the thread until the next request. */
static void test_json_failures(void)
{
	void *p;

	response_json_init();
	response_json_reset();
	p = cJSON_malloc(64);
	T_CHECK(p && !response_json_failed(), "a cJSON allocation that succeeds marks nothing");
	cJSON_free(p);
#if defined(__SANITIZE_ADDRESS__)
	T_SKIP("a failing cJSON allocation: AddressSanitizer aborts on impossible sizes");
#else
	p = cJSON_malloc(SIZE_MAX / 2); /* no allocator can give this */
	T_CHECK(!p && response_json_failed(), "a cJSON allocation that fails marks the thread");
#endif
	response_json_reset();
	T_CHECK(!response_json_failed(), "response_json_reset clears the mark");
	cJSON_InitHooks(NULL);
}

/* The catalogs: loaded, complete in English, and a translation missing falls back. */
static void test_catalogs(void)
{
	char err[256] = "";
	int de, fr;
	const char *m;

	T_CHECK(i18n_init(err, sizeof err) == 0 && i18n_count() >= 3 && strcmp(i18n_tag(I18N_EN), "en") == 0,
	        "i18n: the catalogs load, English first (%s)", err);
	de = i18n_find("de", 2), fr = i18n_find("FR", 2);
	T_CHECK(de > 0 && fr > 0 && strncmp(i18n_tags(), "en,", 3) == 0 && strstr(i18n_tags(), "de") &&
	            strstr(i18n_tags(), "fr"),
	        "i18n: de and fr (any case); tags \"%s\"", i18n_tags());
	m = i18n_message(de, "login.wrong", 11, NULL, 0);
	T_CHECK(m && strcmp(m, "Benutzername oder Passwort ist falsch.") == 0, "i18n: a German message");
	T_CHECK(i18n_key_of("The username or password is incorrect.") &&
	            strcmp(i18n_key_of("The username or password is incorrect."), "login.wrong") == 0 &&
	            !i18n_key_of("alice") && !i18n_key_of(""),
	        "i18n: C code's English text finds its key; other text none");
	/* one message taken out of the German catalog: English, never nothing */
	cJSON_DeleteItemFromObjectCaseSensitive(langs[de].root, "login.forgot");
	m = i18n_message(de, "login.forgot", 12, NULL, 0);
	T_CHECK(m && strcmp(m, "Forgot your password?") == 0,
	        "i18n: a missing translation falls back to English");
	T_CHECK(!i18n_message(de, "no.such", 7, NULL, 0) && !i18n_message(I18N_EN, "_plural", 7, NULL, 0),
	        "i18n: an unknown key and a catalog's own members are no messages");
	{
		const struct i18n_arg one = {"n", "1"}, zero = {"n", "0"}, five = {"n", "5"};
		T_CHECK(strstr(i18n_message(I18N_EN, "login.limited", 13, &one, 1), "{{n}} minute.") &&
		            strstr(i18n_message(I18N_EN, "login.limited", 13, &zero, 1), "minutes.") &&
		            strstr(i18n_message(fr, "login.limited", 13, &zero, 1), "minute.") &&
		            strstr(i18n_message(de, "login.limited", 13, &five, 1), "Minuten"),
		        "i18n: plural forms: English one for 1 only, French one for 0 and 1");
	}
}

static int choose_is(int (*f)(const char *, size_t), const char *s, const char *want)
{
	int l = f(s, strlen(s));
	int ok = want ? l >= 0 && strcmp(i18n_tag(l), want) == 0 : l < 0;

	if (!ok)
		printf("# \"%s\": got %s, want %s\n", s, l >= 0 ? i18n_tag(l) : "none", want ? want : "none");
	return ok;
}

static void test_choice(void)
{
	T_CHECK(choose_is(i18n_accept_language, "de-CH", "de") &&
	            choose_is(i18n_accept_language, "fr-CA,fr;q=0.9", "fr") &&
	            choose_is(i18n_accept_language, "es, de;q=0.5, fr;q=0.7", "fr") &&
	            choose_is(i18n_accept_language, "de;q=0.5, fr;q=0.5", "de") &&
	            choose_is(i18n_accept_language, "fr;q=0, de;q=0.1", "de") &&
	            choose_is(i18n_accept_language, "es, it", NULL) &&
	            choose_is(i18n_accept_language, "*", "en") &&
	            choose_is(i18n_accept_language, "DE ; Q=0.8", "de") &&
	            choose_is(i18n_accept_language, "", NULL),
	        "i18n: Accept-Language: q-values, ties by order, q=0 never, de-CH is de, * is English");
	T_CHECK(choose_is(i18n_accept_language, "de;q=2, fr;q=0.1234", NULL) &&
	            choose_is(i18n_accept_language, "de;q=, fr;x=1", NULL) &&
	            choose_is(i18n_accept_language, ",,;q=1,", NULL) &&
	            choose_is(i18n_accept_language, "d", NULL),
	        "i18n: Accept-Language: malformed members are skipped");
	T_CHECK(choose_is(i18n_ui_locales, "es fr-CA de", "fr") &&
	            choose_is(i18n_ui_locales, "  de  ", "de") && choose_is(i18n_ui_locales, "es it", NULL) &&
	            choose_is(i18n_ui_locales, "", NULL),
	        "i18n: ui_locales: the first supported tag wins");
}

static void test_messages(void)
{
	const struct page_var v[] = {{"client", "<App & Co>"},
	                             {"user", "\"bob\""},
	                             {"message", "The username or password is incorrect."},
	                             {"title", "alice"}};
	size_t len;
	char *out;
	int de = i18n_find("de", 2);

	out = page_render_lang(de, "{{t:consent.lead}}", 18, v, 4, &len);
	T_CHECK(out && strcmp(out,
	                      "<strong>&lt;App &amp; Co&gt;</strong> möchte Ihr Konto <strong>&quot;bob&quot;"
	                      "</strong> verwenden. Die Anwendung kann dann:") == 0,
	        "render: {{t:key}} in German, its values escaped, **emphasis** as <strong>");
	free(out);
	out = page_render_lang(de, "[{{message}}][{{title}}][{{t:nope.key}}]", 40, v, 4, &len);
	T_CHECK(out && strcmp(out, "[Benutzername oder Passwort ist falsch.][alice][nope.key]") == 0,
	        "render: an English message in `message` shown in German; other text as is; an unknown key "
	        "as itself");
	free(out);
	out = page_render("{{t:login.lead}}", 16, v + 2, 2, &len);
	T_CHECK(out && strcmp(out, "to continue to ") == 0,
	        "render: a message's missing value renders as nothing");
	free(out);
}

int main(void)
{
	test_catalogs();
	test_choice();
	test_messages();
	test_json_failures();
	test_escape();
	test_render();
	test_origin();
	test_pages();
	T_DONE();
}
