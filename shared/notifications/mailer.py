"""The mailer interface and its one provider: SMTP (any ESP's relay: SES, Postmark, SendGrid, Mailgun).

Without an SMTP host (local runs) mail is written to the log instead, and says so.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from shared.config import NotifySettings

log = logging.getLogger("mailer")


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str


class Mailer(Protocol):
    def send(self, mail: Mail) -> None: ...


class SmtpMailer:
    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings

    def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.settings.sender, mail.to, mail.subject
        message.set_content(mail.text)
        assert self.settings.smtp_host is not None
        with smtplib.SMTP(self.settings.smtp_host, self.settings.smtp_port, timeout=15) as smtp:
            if self.settings.smtp_starttls:
                smtp.starttls()
            if self.settings.smtp_username and self.settings.smtp_password:
                smtp.login(self.settings.smtp_username, self.settings.smtp_password.get_secret_value())
            smtp.send_message(message)


class LogMailer:
    def send(self, mail: Mail) -> None:
        log.info("mail not sent (no SMTP host configured)", extra={"to": mail.to, "subject": mail.subject})


def mailer_for(settings: NotifySettings) -> Mailer:
    return SmtpMailer(settings) if settings.smtp_host else LogMailer()
