"""Sending mail: real SMTP (MAIL_SERVER), or `.eml` files under instance/outbox/ without one.

A message counts as sent only when the SMTP server accepted it. Failures are sorted into
temporary (retried on the next run), permanent for a recipient (5xx: that address bounced)
and the server being unreachable (the run stops, nothing is recorded).
"""

from __future__ import annotations

import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import current_app


class MailServerUnavailableError(Exception):
    """The SMTP server cannot be reached or refused us: stop the run, record nothing."""


class TemporaryFailureError(Exception):
    """4xx: try again on the next run."""


class PermanentFailureError(Exception):
    """5xx for this recipient: the address bounced."""


def configured() -> bool:
    return bool(current_app.config["MAIL_SERVER"])


def compose(
    to: str, cc: list[str], subject: str, text: str, html: str, list_id: str
) -> EmailMessage:
    """A multipart (text and HTML) message with the headers of an automatic mailing."""
    sender = current_app.config["MAIL_FROM"]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = ", ".join(cc)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message["List-Id"] = f"{list_id} <{list_id.lower().replace(' ', '-')}.{domain}>"
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def deliver(message: EmailMessage) -> str:
    """Sends one message; returns where it went (the server, or the file written)."""
    server = current_app.config["MAIL_SERVER"]
    if not server:
        return _write_to_outbox(message)
    recipients = [
        parseaddr(a)[1]
        for header in ("To", "Cc")
        for a in (message.get(header) or "").split(",")
        if a.strip()
    ]
    try:
        with smtplib.SMTP(server, current_app.config["MAIL_PORT"], timeout=10) as smtp:
            if current_app.config["MAIL_USE_TLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if current_app.config["MAIL_USERNAME"]:
                smtp.login(current_app.config["MAIL_USERNAME"], current_app.config["MAIL_PASSWORD"])
            refused = smtp.send_message(message, to_addrs=recipients)
    except smtplib.SMTPRecipientsRefused as error:
        _raise_for(error.recipients.get(parseaddr(message["To"])[1], (550, b"refused")))
    except smtplib.SMTPResponseException as error:
        if error.smtp_code >= 500:
            raise PermanentFailureError(f"{error.smtp_code} {_text(error.smtp_error)}") from None
        raise TemporaryFailureError(f"{error.smtp_code} {_text(error.smtp_error)}") from None
    except (OSError, smtplib.SMTPException) as error:
        where = f"{server}:{current_app.config['MAIL_PORT']}"
        raise MailServerUnavailableError(f"{where}: {error}") from error
    to = parseaddr(message["To"])[1]
    if to in refused:
        _raise_for(refused[to])
    return f"{server}:{current_app.config['MAIL_PORT']}"


def _text(value) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def _raise_for(answer: tuple[int, bytes]) -> None:
    code, text = answer
    if code >= 500:
        raise PermanentFailureError(f"{code} {_text(text)}")
    raise TemporaryFailureError(f"{code} {_text(text)}")


def outbox_dir() -> str:
    return os.path.join(current_app.instance_path, "outbox")


def _write_to_outbox(message: EmailMessage) -> str:
    folder = outbox_dir()
    os.makedirs(folder, exist_ok=True)
    name = message["Message-ID"].strip("<>").replace("@", "_at_").replace("/", "_") + ".eml"
    path = os.path.join(folder, name)
    with open(path, "wb") as handle:
        handle.write(message.as_bytes())
    return path
