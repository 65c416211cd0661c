/*
 * test_framing.c: the framing check of HTTP/1 request heads
 * (issuer/http/framing.c), against request smuggling (RFC 9112 §6.1, §6.3,
 * §5.2; the CL.CL, CL.TE and obs-fold variants): every head that two readers may
 * end at two places is refused, every ordinary head passes, and the scan never
 * reads past the head (a body or the next request that looks like a header is
 * not counted).
 */
#include "../../issuer/http/framing.c"
#include "../test.h"

static enum framing check(const char *head)
{
	return framing_check(head, strlen(head));
}

int main(void)
{
	static const struct {
		const char *head;
		enum framing want;
		const char *what;
	} cases[] = {
	    {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", FRAMING_OK, "a plain GET"},
	    {"POST /t HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello", FRAMING_OK,
	     "one Content-Length"},
	    {"POST /t HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", FRAMING_OK,
	     "one Transfer-Encoding"},
	    {"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", FRAMING_OK, "an empty line before the request line"},
	    {"GET / HTTP/1.1\nHost: x\n\n", FRAMING_OK, "bare LF line ends"},
	    {"GET / HTTP/1.1\r\nX-Content-Length: 1\r\nContent-Lengths: 2\r\n\r\n", FRAMING_OK,
	     "names that only contain content-length"},
	    {"POST / HTTP/1.1\r\nContent-Length: 50\r\n\r\nGET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
	     FRAMING_OK, "a body that looks like a second head is not read"},
	    {"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", FRAMING_TWO_LENGTHS,
	     "two equal Content-Length"},
	    {"POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 40\r\n\r\n", FRAMING_TWO_LENGTHS,
	     "two different Content-Length, any case"},
	    {"POST / HTTP/1.1\nCONTENT-LENGTH: 1\nHost: x\nContent-Length: 1\n\n", FRAMING_TWO_LENGTHS,
	     "two Content-Length apart, LF line ends"},
	    {"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
	     FRAMING_LENGTH_AND_CODED, "Content-Length then Transfer-Encoding"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
	     FRAMING_LENGTH_AND_CODED, "Transfer-Encoding then Content-Length"},
	    {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
	     FRAMING_TWO_CODINGS, "two Transfer-Encoding"},
	    {"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n", FRAMING_OBS_FOLD, "obs-fold with a space"},
	    {"POST / HTTP/1.1\r\nContent-Length: 5\r\n\t0\r\n\r\n", FRAMING_OBS_FOLD,
	     "obs-fold with a tab, continuing Content-Length"},
	    {"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Le", FRAMING_OK,
	     "a head cut short: only whole names count"},
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		T_CHECK(check(cases[i].head) == cases[i].want, "%s", cases[i].what);
	T_CHECK(framing_check("", 0) == FRAMING_OK, "an empty buffer");
	T_CHECK(framing_check("GET / HTTP/1.1", 14) == FRAMING_OK, "a request line alone");
	T_CHECK(framing_check("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", 36) ==
	            FRAMING_OK,
	        "len bounds the scan: the second Content-Length is past it");
	T_CHECK(*framing_reason(FRAMING_TWO_LENGTHS) && !*framing_reason(FRAMING_OK),
	        "a reason for every refusal, none for OK");
	T_DONE();
}
