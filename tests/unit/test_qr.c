/*
 * test_qr.c: QR codes as SVG (issuer/mfa/qr.c). Here: the SVG's shape (one
 * background square, one path, the quiet zone, nothing of the text in clear),
 * the path drawn back into modules equals libqrencode's matrix, and the limits.
 * Whether a phone can read it is checked independently by test_qr.test.mjs:
 * Chromium renders the SVG and zbar (zbarimg) decodes the picture; it runs this
 * binary as `test_qr --svg TEXT` to get the SVG.
 */
#include "../../issuer/mfa/qr.c"
#include "../test.h"

#define URI                                                                                                  \
	"otpauth://totp/"                                                                                    \
	"Example%20Co:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example"            \
	"%20Co&algorithm=SHA1&digits=6&period=30"

/* The dark modules the path of svg draws, into grid[n*n] (n: the viewBox side); -1 on a parse error. */
static int path_modules(const char *svg, unsigned char *grid, int n)
{
	const char *p = strstr(svg, " d=\"");
	int x, y, w, x2, k;

	if (!p)
		return -1;
	for (p += 4; *p == 'M'; p += k) {
		if (sscanf(p, "M%d %dh%dv1H%dz%n", &x, &y, &w, &x2, &k) != 4 || x2 != x || w < 1 || x < 0 ||
		    y < 0 || x + w > n || y >= n)
			return -1;
		for (int i = 0; i < w; i++)
			grid[y * n + x + i]++;
	}
	return *p == '"' ? 0 : -1;
}

static int count(const char *hay, const char *needle)
{
	int c = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		c++;
	return c;
}

static void shape(void)
{
	char *svg = NULL;
	size_t len = 0;
	QRcode *q = QRcode_encodeString(URI, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	int n = q->width + 2 * QR_QUIET, vb = 0, same = 1, quiet = 1, twice = 0;
	unsigned char *grid = calloc((size_t)n * n, 1);
	char want[64];

	T_CHECK(qr_svg(URI, &svg, &len) == 0 && svg && len == strlen(svg),
	        "an otpauth URI makes an SVG (%zu bytes)", len);
	if (!svg)
		return;
	T_CHECK(!strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"", 39) &&
	            !strcmp(svg + len - 6, "</svg>"),
	        "a standalone SVG document");
	T_CHECK(count(svg, "<path") == 1 && count(svg, "<rect") == 1 && count(svg, "<") == 4,
	        "one background square and one path, nothing else");
	snprintf(want, sizeof want, "viewBox=\"0 0 %d %d\"", n, n);
	vb = strstr(svg, want) != NULL;
	T_CHECK(vb, "viewBox is the symbol (%d modules, version %d) plus %d quiet modules each side",
	        q->width, q->version, QR_QUIET);
	T_CHECK(strstr(svg, "role=\"img\"") && strstr(svg, "aria-label="), "announced as an image");
	T_CHECK(!strstr(svg, "secret") && !strstr(svg, "GEZDGNBV") && !strstr(svg, "alice"),
	        "the text (with its secret) is not in the SVG in clear");
	T_CHECK(path_modules(svg, grid, n) == 0, "the path is runs of M x y h n v1 H x z");
	for (int y = 0; y < n; y++)
		for (int x = 0; x < n; x++) {
			int inside = x >= QR_QUIET && y >= QR_QUIET && x < n - QR_QUIET && y < n - QR_QUIET;
			int want_dark = inside && (q->data[(y - QR_QUIET) * q->width + x - QR_QUIET] & 1);
			twice |= grid[y * n + x] > 1;
			same &= (grid[y * n + x] != 0) == want_dark;
			quiet &= inside || !grid[y * n + x];
		}
	T_CHECK(same && !twice, "the path draws exactly libqrencode's dark modules, each once");
	T_CHECK(quiet, "no dark module in the %d-module quiet zone", QR_QUIET);
	T_CHECK(len < 12000, "compact: %zu bytes for a %dx%d symbol", len, q->width, q->width);
	qr_svg_free(svg, len);
	free(grid);
	QRcode_free(q);
}

static void limits(void)
{
	char *text = malloc(QR_TEXT_MAX + 2), *svg = (char *)1;
	size_t len = 99;

	memset(text, 'a', QR_TEXT_MAX + 1);
	text[QR_TEXT_MAX + 1] = '\0';
	T_CHECK(qr_svg(text, &svg, &len) == -1 && svg == NULL && len == 0, "QR_TEXT_MAX + 1 bytes: refused");
	text[QR_TEXT_MAX] = '\0';
	T_CHECK(qr_svg(text, &svg, &len) == 0 && svg && strstr(svg, "</svg>"), "QR_TEXT_MAX bytes: encoded");
	qr_svg_free(svg, len);
	T_CHECK(qr_svg("", &svg, &len) == -1 && svg == NULL, "empty text: refused");
	T_CHECK(qr_svg(NULL, &svg, &len) == -1, "NULL text: refused");
	qr_svg_free(NULL, 0);
	free(text);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--svg")) {
		char *svg;
		size_t len;
		if (qr_svg(argv[2], &svg, &len) != 0)
			return 2;
		fwrite(svg, 1, len, stdout);
		qr_svg_free(svg, len);
		return 0;
	}
	shape();
	limits();
	T_DONE();
}
