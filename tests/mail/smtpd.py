"""smtpd.py: a real SMTP server for the mail tests (Debian's python3-aiosmtpd).

    python3 tests/mail/smtpd.py --port PORT --dir DIR [--starttls CERT KEY]
                                [--smtps CERT KEY] [--auth USER:PASSWORD] [--delay S]
                                [--reject DOMAIN]

Listens on 127.0.0.1:PORT and writes each message it accepts to DIR as
<n>.eml (written whole under a temporary name, then renamed), with the envelope
in <n>.json (with the message as Python's email parser reads it). --starttls offers STARTTLS (and requires it before MAIL);
--smtps speaks TLS from the first byte; --auth requires AUTH with that user
and password (over TLS only, as aiosmtpd does); --delay waits S seconds after a
message's end before it stores it (and answers); --reject answers 550 to every
recipient at DOMAIN. Prints "ready" on stdout once
it accepts connections, and runs until killed.
"""
import argparse
import asyncio
import email
import email.policy
import json
import os
import ssl
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Store:
    def __init__(self, folder, delay, reject):
        self.folder = folder
        self.delay = delay
        self.reject = reject
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and address.lower().endswith('@' + self.reject):
            return '550 5.1.1 no such user here'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            n = len([f for f in os.listdir(self.folder) if f.endswith('.eml')]) + 1
            base = os.path.join(self.folder, '%06d-%d' % (n, os.getpid()))
            with open(base + '.tmp', 'wb') as f:
                f.write(envelope.original_content or envelope.content)
            with open(base + '.json', 'w') as f:
                json.dump({'from': envelope.mail_from, 'to': envelope.rcpt_tos,
                           'tls': session.ssl is not None or
                           server.transport.get_extra_info('ssl_object') is not None,
                           'parsed': parse(envelope.original_content or envelope.content)}, f)
            os.rename(base + '.tmp', base + '.eml')
        return '250 OK stored'


def parse(raw):
    """The message as Python's own mail parser reads it (an independent check of
    the issuer's MIME): decoded headers, each part's type and decoded text, and
    the defects the parser found."""
    m = email.message_from_bytes(raw, policy=email.policy.default)
    parts = [{'type': p.get_content_type(), 'charset': p.get_content_charset(),
              'text': p.get_content()} for p in m.walk() if not p.is_multipart()]
    defects = [str(d) for p in m.walk() for d in p.defects]
    return {'subject': str(m['subject']), 'from': str(m['from']), 'to': str(m['to']),
            'message_id': str(m['message-id']), 'type': m.get_content_type(),
            'parts': parts, 'defects': defects}


def context(cert, key):
    c = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    c.load_cert_chain(cert, key)
    return c


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--port', type=int, required=True)
    p.add_argument('--dir', required=True)
    p.add_argument('--starttls', nargs=2)
    p.add_argument('--smtps', nargs=2)
    p.add_argument('--auth')
    p.add_argument('--delay', type=float, default=0)
    p.add_argument('--reject')
    a = p.parse_args()
    kw = {}
    if a.starttls:
        kw.update(tls_context=context(*a.starttls), require_starttls=True)
    if a.smtps:
        kw.update(ssl_context=context(*a.smtps))
    if a.auth:
        user, password = a.auth.split(':', 1)

        def check(server, session, envelope, mechanism, auth_data):
            ok = auth_data.login == user.encode() and auth_data.password == password.encode()
            return AuthResult(success=ok)
        kw.update(authenticator=check, auth_required=True)
    ctl = Controller(Store(a.dir, a.delay, a.reject), hostname='127.0.0.1', port=a.port, server_hostname='localhost', **kw)
    ctl.start()
    print('ready', flush=True)
    threading.Event().wait()


if __name__ == '__main__':
    main()
