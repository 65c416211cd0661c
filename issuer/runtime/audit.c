/*
 * audit.c: security events (see audit.h). The line is formatted by reqlog.c
 * into a buffer on the stack and written at once; nothing here allocates,
 * locks or waits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "http/response.h"
#include "runtime/audit.h"

static int out_fd = STDERR_FILENO;
static atomic_ullong dropped;

/* see audit.h */
int audit_open(const char *path, char *err, size_t errlen)
{
	int fd;

	if (!path || !*path) {
		out_fd = STDERR_FILENO;
		return 0;
	}
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0600)) < 0) {
		snprintf(err, errlen, "AUDIT_LOG %s: %s", path, strerror(errno));
		return -1;
	}
	out_fd = fd;
	return 0;
}

/* see audit.h */
uint64_t audit_dropped(void)
{
	return atomic_load(&dropped);
}

/* see audit.h */
void audit_event(const char *event, const char *level, const audit_who *who, const reqlog_field *extra,
                 size_t n)
{
	reqlog_field f[REQLOG_FIELDS_MAX];
	char line[REQLOG_LINE_MAX + 1];
	size_t k = 0, len;

	f[k++] = (reqlog_field){"event", event, 0};
	if (who) {
		const char *names[] = {"request_id", "client", "sub", "username", "remote"};
		const char *vals[] = {who->request_id, who->client, who->sub, who->username, who->remote};
		for (size_t i = 0; i < 5; i++)
			if (vals[i])
				f[k++] = (reqlog_field){names[i], vals[i], 0};
	}
	for (size_t i = 0; i < n && k < REQLOG_FIELDS_MAX; i++)
		f[k++] = extra[i];
	len = reqlog_format_line(line, sizeof line, reqlog_now_ms(), level, f, k);
	if (!len || write(out_fd, line, len) != (ssize_t)len)
		atomic_fetch_add(&dropped, 1);
}

/* see audit.h */
void audit_req(h2o_req_t *req, const char *event, const char *level, const char *client, const char *sub,
               const char *username, const reqlog_field *extra, size_t n)
{
	char remote[INET6_ADDRSTRLEN] = "";
	struct sockaddr_storage ss;
	audit_who who = {.client = client, .sub = sub, .username = username};

	if (req) {
		who.request_id = response_request_id(req);
		if (response_peer(req, &ss) && ss.ss_family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, remote, sizeof remote);
		else if (ss.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, remote, sizeof remote);
		who.remote = remote[0] ? remote : NULL;
	}
	audit_event(event, level, &who, extra, n);
}
