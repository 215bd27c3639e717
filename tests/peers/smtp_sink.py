"""A real SMTP server (aiosmtpd) on loopback for the e-mail tests: prints "listening PORT",
then one JSON line per message received: {"to": [...], "subject": ..., "body": ...}."""
import asyncio
import email
import email.policy
import json
import socket
import sys

from aiosmtpd.controller import Controller


class Sink:
    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        print(json.dumps({
            "to": envelope.rcpt_tos,
            "from": envelope.mail_from,
            "subject": str(msg["subject"]),
            "body": body.get_content() if body else "",
            # What a mail reader goes by to show the text as written (RFC 2045).
            "mime_version": str(msg["mime-version"] or ""),
            "content_type": msg.get_content_type(),
            "charset": msg.get_content_charset() or "",
        }), flush=True)
        return "250 OK"


def free_port():
    # The Controller checks readiness by connecting to its port, so it needs a real one.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    port = free_port()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"listening {port}", flush=True)
    try:
        asyncio.get_event_loop().run_until_complete(asyncio.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 120))
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
