"""Amazon SES through SNS: the message signature, checked with the certificate SNS names.

The certificate URL must be https on an amazonaws.com host (anything else is
refused before it is fetched); the certificate is fetched and cached by the
caller (``certificate_for``), so this module stays free of the network.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from syndicate.bounces import reports
from syndicate.bounces.providers import BadPayload, Parsed, Refused, bracketed, load_json, table
from syndicate.bounces.providers import moment as to_moment

CertificateFor = Callable[[str], x509.Certificate]
# The fields signed, in this order, per message type (a missing Subject is left out).
_CONFIRMATION = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
_SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": _CONFIRMATION,
    "UnsubscribeConfirmation": _CONFIRMATION,
}


def amazon_url(url: str, what: str) -> str:
    """``url`` when it is https on an amazonaws.com host; Refused otherwise."""
    parts = urlsplit(url or "")
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or not (host == "amazonaws.com" or host.endswith(".amazonaws.com")):
        raise Refused(403, f"{what} is not an https URL on an amazonaws.com host")
    return url


def string_to_sign(message: Mapping[str, Any]) -> bytes:
    names = _SIGNED.get(str(message.get("Type")))
    if names is None:
        raise Refused(403, f"unknown SNS message type {message.get('Type')!r}")
    text = ""
    for name in names:
        if name not in message:
            if name == "Subject":
                continue
            raise Refused(403, f"the SNS message has no {name}")
        text += f"{name}\n{message[name]}\n"
    return text.encode("utf-8")


def verify(message: Mapping[str, Any], certificate_for: CertificateFor, now: datetime) -> None:
    url = amazon_url(str(message.get("SigningCertURL", "")), "SigningCertURL")
    if not urlsplit(url).path.endswith(".pem"):
        raise Refused(403, "SigningCertURL does not name a .pem certificate")
    version = str(message.get("SignatureVersion", "1"))
    algorithm: hashes.HashAlgorithm
    if version == "1":
        algorithm = hashes.SHA1()
    elif version == "2":
        algorithm = hashes.SHA256()
    else:
        raise Refused(403, f"unknown SignatureVersion {version!r}")
    try:
        signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
    except (ValueError, binascii.Error):
        raise Refused(403, "the signature is not base64") from None
    certificate = certificate_for(url)
    if not certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc:
        raise Refused(403, "the signing certificate is not valid now")
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise Refused(403, "the signing certificate holds no RSA key")
    try:
        key.verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm)
    except InvalidSignature:
        raise Refused(403, "the signature does not match") from None


def parse(
    body: bytes,
    headers: Mapping[str, str],
    certificate_for: CertificateFor,
    now: datetime,
    topics: Collection[str],
) -> Parsed:
    """``topics``: the SNS topic ARNs taken (``[bounces] ses_topics``); others are refused,
    subscription confirmations included, so a stranger's topic cannot feed reports in."""
    message = load_json(body)
    if not isinstance(message, dict):
        raise Refused(403, "not an SNS message")
    verify(message, certificate_for, now)
    topic = str(message.get("TopicArn", ""))
    if topic not in topics:
        raise Refused(
            403,
            f"SNS topic {topic!r} is not in [bounces] ses_topics; add it there to take its events",
        )
    kind = message.get("Type")
    if kind == "SubscriptionConfirmation":
        return Parsed(confirm_url=amazon_url(str(message.get("SubscribeURL", "")), "SubscribeURL"))
    if kind != "Notification":
        return Parsed()
    try:
        notification = json.loads(str(message.get("Message", "")))
    except ValueError:
        raise BadPayload("the SNS Message is not an SES notification") from None
    return Parsed(_reports(table(notification), str(message.get("MessageId", ""))))


def _message_id(mail: dict[str, Any]) -> str:
    for item in mail.get("headers") or []:
        if isinstance(item, dict) and str(item.get("name", "")).lower() == "message-id":
            return bracketed(item.get("value"))
    return ""


def _reports(notification: dict[str, Any], sns_id: str) -> list[reports.Report]:
    # Notifications say notificationType; configuration-set events say eventType.
    name = str(notification.get("notificationType") or notification.get("eventType") or "")
    mail = table(notification.get("mail"))
    message_id = _message_id(mail)
    found: list[tuple[str, str, str]] = []  # (kind, address, reason)
    when: Any = None
    if name == "Bounce":
        bounce = table(notification.get("bounce"))
        when = bounce.get("timestamp")
        kind = {"Permanent": reports.HARD, "Transient": reports.SOFT}.get(
            str(bounce.get("bounceType")),
            reports.UNPARSED,  # "Undetermined": never guessed
        )
        for person in bounce.get("bouncedRecipients") or []:
            person = table(person)
            why = " ".join(
                str(person.get(k)) for k in ("status", "diagnosticCode") if person.get(k)
            )
            detail = f"{bounce.get('bounceType')}/{bounce.get('bounceSubType')}"
            found.append((kind, str(person.get("emailAddress", "")), f"{detail} {why}".strip()))
    elif name == "Complaint":
        complaint = table(notification.get("complaint"))
        when = complaint.get("timestamp")
        feedback = complaint.get("complaintFeedbackType") or "unspecified"
        for person in complaint.get("complainedRecipients") or []:
            address = str(table(person).get("emailAddress", ""))
            found.append((reports.COMPLAINT, address, f"complaint ({feedback})"))
    elif name == "Delivery":
        delivery = table(notification.get("delivery"))
        when = delivery.get("timestamp")
        for address in delivery.get("recipients") or []:
            found.append((reports.DELIVERED, str(address), "delivered"))
    return [
        reports.Report(
            kind,
            (address,) if address else (),
            message_id,
            reason=f"ses {name}: {reason}"[:500],
            reported_at=to_moment(when),
            key=f"ses:{sns_id}:{address}",
        )
        for kind, address, reason in found
    ]
