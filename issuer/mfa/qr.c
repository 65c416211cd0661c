/*
 * qr.c: QR codes as SVG (see qr.h). libqrencode makes the module matrix; this
 * file only draws it. No state, no logging; every buffer that held the text's
 * modules is wiped before it is freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "mfa/qr.h"

/* Longest "M<x> <y>h<n>v1H<x>z" of one run: three numbers below 1000, plus letters. */
#define RUN_MAX 24

/* 1 when the module at (x, y) of q is dark (libqrencode: bit 0 of each byte). */
static int dark(const QRcode *q, int x, int y)
{
	return q->data[y * q->width + x] & 1;
}

/* Dark runs in q, counted row by row. */
static size_t count_runs(const QRcode *q)
{
	size_t runs = 0;

	for (int y = 0; y < q->width; y++)
		for (int x = 0; x < q->width; x++)
			runs += dark(q, x, y) && (x == 0 || !dark(q, x - 1, y));
	return runs;
}

/* Append the path data of q's dark runs at out; the length written. */
static size_t draw_runs(const QRcode *q, char *out, size_t cap)
{
	size_t o = 0;

	for (int y = 0; y < q->width; y++) {
		for (int x = 0; x < q->width;) {
			int n = 0, x0 = x + QR_QUIET, y0 = y + QR_QUIET;
			while (x + n < q->width && dark(q, x + n, y))
				n++;
			if (n == 0) {
				x++;
				continue;
			}
			o += (size_t)snprintf(out + o, cap - o, "M%d %dh%dv1H%dz", x0, y0, n, x0);
			x += n;
		}
	}
	return o;
}

/* see qr.h */
int qr_svg(const char *text, char **svg, size_t *len)
{
	static const char head[] =
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" "
	    "height=\"%d\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code\">"
	    "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
	static const char tail[] = "\"/></svg>";
	QRcode *q = NULL;
	size_t tlen, cap, o;
	char *buf = NULL;
	int n;

	*svg = NULL;
	*len = 0;
	tlen = text ? strnlen(text, QR_TEXT_MAX + 1) : 0;
	if (tlen == 0 || tlen > QR_TEXT_MAX)
		return -1;
	q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!q)
		return -1;
	n = q->width + 2 * QR_QUIET;
	cap = sizeof head + 6 * 12 + count_runs(q) * RUN_MAX + sizeof tail;
	if ((buf = malloc(cap)) != NULL) {
		o = (size_t)snprintf(buf, cap, head, n, n, n * QR_SVG_SCALE, n * QR_SVG_SCALE, n, n);
		o += draw_runs(q, buf + o, cap - o);
		memcpy(buf + o, tail, sizeof tail);
		*svg = buf;
		*len = o + sizeof tail - 1;
	}
	memset(q->data, 0, (size_t)q->width * (size_t)q->width);
	QRcode_free(q);
	return buf ? 0 : -1;
}

/* see qr.h */
void qr_svg_free(char *svg, size_t len)
{
	if (!svg)
		return;
	memset(svg, 0, len);
	free(svg);
}
