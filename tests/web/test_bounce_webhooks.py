"""POST /webhooks/bounces/{provider} over real HTTP, signed with keys made here: accepted when
signed, refused (and nothing changed) when the signature, timestamp or key is wrong."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from sqlalchemy import select

from syndicate.bounces.providers.ses import string_to_sign
from syndicate.store.tables import bounce_reports, subscribers
from tests.outbox_rows import add_subscribers

CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-test.pem"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:bounces"
SUBSCRIBE_URL = "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=t"
MAILGUN_KEY = "key-for-the-mailgun-test-0123456789"
POSTMARK = "hooks:pässword-with-ünicode"


def statuses(web) -> dict[str, str]:
    with web.engine.connect() as conn:
        return dict(conn.execute(select(subscribers.c.email, subscribers.c.status)).all())


def report_count(web) -> int:
    with web.engine.connect() as conn:
        return len(conn.execute(select(bounce_reports.c.id)).all())


@pytest.fixture
def web(start_web, monkeypatch, clock):
    fetched: list[str] = []
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(clock.now() - timedelta(days=1))
        .not_valid_after(clock.now() + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return pem if url == CERT_URL else b"confirmed"

    sendgrid_key = ec.generate_private_key(ec.SECP256R1())
    der = sendgrid_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    monkeypatch.setenv("SYNDICATE_WEBHOOK_SECRET_MAILGUN", MAILGUN_KEY)
    monkeypatch.setenv("SYNDICATE_WEBHOOK_SECRET_SENDGRID", base64.b64encode(der).decode())
    monkeypatch.setenv("SYNDICATE_WEBHOOK_SECRET_POSTMARK", POSTMARK)
    running = start_web(
        certificate_fetch=fetch, config_extra=f'\n[bounces]\nses_topics = ["{TOPIC}"]\n'
    )
    add_subscribers(running.engine, clock.now(), 6)
    running.sns_key = key
    running.sendgrid_key = sendgrid_key
    running.fetched = fetched
    return running


# -- SES through SNS --------------------------------------------------------------------


def sns(web, kind: str, message: str, **fields: str) -> dict[str, str]:
    body = {
        "Type": kind,
        "MessageId": fields.pop("MessageId", "sns-1"),
        "TopicArn": fields.pop("TopicArn", TOPIC),
        "Message": message,
        "Timestamp": "2026-11-28T12:00:00.000Z",
        "SignatureVersion": "2",
        "SigningCertURL": CERT_URL,
        **fields,
    }
    signature = web.sns_key.sign(string_to_sign(body), padding.PKCS1v15(), hashes.SHA256())
    body["Signature"] = base64.b64encode(signature).decode()
    return body


def ses_bounce(address: str, bounce_type: str = "Permanent") -> str:
    return json.dumps(
        {
            "notificationType": "Bounce",
            "bounce": {
                "bounceType": bounce_type,
                "bounceSubType": "General",
                "bouncedRecipients": [
                    {"emailAddress": address, "status": "5.1.1", "diagnosticCode": "smtp; 550"}
                ],
                "timestamp": "2026-11-28T11:59:00.000Z",
                "feedbackId": "fb-1",
            },
            "mail": {"messageId": "ses-id", "headers": [{"name": "Message-ID", "value": "<x@y>"}]},
        }
    )


def test_ses_bounce_and_complaint_signed_by_sns(web) -> None:
    body = sns(web, "Notification", ses_bounce("reader0@example.net"))
    answer = web.http.post("/webhooks/bounces/ses", json=body)
    assert answer.status_code == 200, answer.text
    assert statuses(web)["reader0@example.net"] == "bounced"
    again = web.http.post("/webhooks/bounces/ses", json=body)
    assert again.status_code == 200 and again.json()["new"] == 0
    complaint = json.dumps(
        {
            "notificationType": "Complaint",
            "complaint": {
                "complainedRecipients": [{"emailAddress": "reader1@example.net"}],
                "complaintFeedbackType": "abuse",
                "timestamp": "2026-11-28T11:59:00.000Z",
            },
            "mail": {"messageId": "ses-id-2"},
        }
    )
    answer = web.http.post(
        "/webhooks/bounces/ses", json=sns(web, "Notification", complaint, MessageId="sns-2")
    )
    assert answer.status_code == 200
    assert statuses(web)["reader1@example.net"] == "complained"
    assert web.fetched == [CERT_URL]  # fetched once, then taken from the cache


def test_ses_refuses_a_tampered_message_and_foreign_certificate_urls(web) -> None:
    body = sns(web, "Notification", ses_bounce("reader2@example.net"))
    tampered = {**body, "Message": ses_bounce("reader3@example.net")}
    assert web.http.post("/webhooks/bounces/ses", json=tampered).status_code == 403
    for url in (
        "http://sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.amazonaws.com.evil.example/cert.pem",
        "https://evil.example/sns.amazonaws.com.pem",
    ):
        forged = sns(web, "Notification", ses_bounce("reader2@example.net"), SigningCertURL=url)
        assert web.http.post("/webhooks/bounces/ses", json=forged).status_code == 403
    assert url not in web.fetched and all(u == CERT_URL for u in web.fetched)
    assert statuses(web)["reader2@example.net"] == "active"
    assert statuses(web)["reader3@example.net"] == "active"
    assert report_count(web) == 0


def test_ses_subscription_confirmation_is_confirmed(web) -> None:
    body = sns(web, "SubscriptionConfirmation", "confirm", SubscribeURL=SUBSCRIBE_URL, Token="t")
    answer = web.http.post("/webhooks/bounces/ses", json=body)
    assert answer.status_code == 200 and answer.json() == {"confirmed": True}
    assert web.fetched == [CERT_URL, SUBSCRIBE_URL]


def test_ses_refuses_a_topic_that_is_not_the_sites_own(web) -> None:
    # Signed by AWS all right, but from someone else's topic pointed at this endpoint.
    stranger = "arn:aws:sns:eu-west-1:999999999999:not-ours"
    report = sns(web, "Notification", ses_bounce("reader4@example.net"), TopicArn=stranger)
    answer = web.http.post("/webhooks/bounces/ses", json=report)
    assert answer.status_code == 403 and "[bounces] ses_topics" in answer.json()["error"]
    confirm = sns(
        web,
        "SubscriptionConfirmation",
        "c",
        SubscribeURL=SUBSCRIBE_URL,
        Token="t",
        TopicArn=stranger,
    )
    assert web.http.post("/webhooks/bounces/ses", json=confirm).status_code == 403
    assert SUBSCRIBE_URL not in web.fetched  # the stranger's subscription is not confirmed
    assert statuses(web)["reader4@example.net"] == "active" and report_count(web) == 0


# -- Mailgun ----------------------------------------------------------------------------


def mailgun(web, event: dict, key: str = MAILGUN_KEY, age: float = 0) -> dict:
    timestamp = str(int(web.clock.now().timestamp() - age))
    token = "a" * 50
    signature = hmac.new(key.encode(), (timestamp + token).encode(), hashlib.sha256).hexdigest()
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": event,
    }


def test_mailgun_signed_events(web) -> None:
    failed = {
        "id": "mg-1",
        "event": "failed",
        "severity": "permanent",
        "recipient": "reader2@example.net",
        "timestamp": web.clock.now().timestamp(),
        "delivery-status": {"code": 550, "message": "5.1.1 no such user"},
        "message": {"headers": {"message-id": "x@y"}},
    }
    for bad in (mailgun(web, failed, key="another-key"), mailgun(web, failed, age=3600)):
        assert web.http.post("/webhooks/bounces/mailgun", json=bad).status_code == 403
    no_signature = {"event-data": failed}
    assert web.http.post("/webhooks/bounces/mailgun", json=no_signature).status_code == 401
    assert statuses(web)["reader2@example.net"] == "active" and report_count(web) == 0
    assert web.http.post("/webhooks/bounces/mailgun", json=mailgun(web, failed)).status_code == 200
    assert statuses(web)["reader2@example.net"] == "bounced"
    complained = {"id": "mg-2", "event": "complained", "recipient": "reader3@example.net"}
    assert web.http.post("/webhooks/bounces/mailgun", json=mailgun(web, complained)).is_success
    assert statuses(web)["reader3@example.net"] == "complained"


# -- SendGrid ---------------------------------------------------------------------------


def sendgrid_post(web, events: list, key=None, age: float = 0, headers: bool = True):
    body = json.dumps(events).encode()
    timestamp = str(int(web.clock.now().timestamp() - age))
    signer = key or web.sendgrid_key
    signature = signer.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    sent = {"content-type": "application/json"}
    if headers:
        sent["X-Twilio-Email-Event-Webhook-Signature"] = base64.b64encode(signature).decode()
        sent["X-Twilio-Email-Event-Webhook-Timestamp"] = timestamp
    return web.http.post("/webhooks/bounces/sendgrid", content=body, headers=sent)


def test_sendgrid_signed_event_batch(web) -> None:
    now = int(web.clock.now().timestamp())
    events = [
        {
            "email": "reader4@example.net",
            "event": "bounce",
            "type": "bounce",
            "status": "5.1.1",
            "reason": "550 unknown",
            "sg_event_id": "sg-1",
            "smtp-id": "<x@y>",
            "timestamp": now,
        },
        {
            "email": "reader5@example.net",
            "event": "spamreport",
            "sg_event_id": "sg-2",
            "timestamp": now,
        },
        {"email": "reader0@example.net", "event": "open", "sg_event_id": "sg-3", "timestamp": now},
    ]
    other = ec.generate_private_key(ec.SECP256R1())
    assert sendgrid_post(web, events, key=other).status_code == 403
    assert sendgrid_post(web, events, age=3600).status_code == 403
    assert sendgrid_post(web, events, headers=False).status_code == 401
    assert report_count(web) == 0
    answer = sendgrid_post(web, events)
    assert answer.status_code == 200 and answer.json() == {"events": 3, "new": 3}
    got = statuses(web)
    assert (got["reader4@example.net"], got["reader5@example.net"]) == ("bounced", "complained")
    assert got["reader0@example.net"] == "active"
    assert sendgrid_post(web, events).json()["new"] == 0  # a retried batch


# -- Postmark ---------------------------------------------------------------------------


def basic(credentials: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(credentials.encode()).decode()}


def test_postmark_with_basic_auth(web) -> None:
    bounce = {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Email": "reader1@example.net",
        "BouncedAt": "2026-11-28T11:58:00Z",
        "Description": "The server was unable to deliver your message",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
    }
    assert web.http.post("/webhooks/bounces/postmark", json=bounce).status_code == 401
    wrong = web.http.post("/webhooks/bounces/postmark", json=bounce, headers=basic("hooks:no"))
    assert wrong.status_code == 403
    assert statuses(web)["reader1@example.net"] == "active" and report_count(web) == 0
    ok = web.http.post("/webhooks/bounces/postmark", json=bounce, headers=basic(POSTMARK))
    assert ok.status_code == 200
    assert statuses(web)["reader1@example.net"] == "bounced"
    complaint = {
        "RecordType": "SpamComplaint",
        "ID": 7,
        "Type": "SpamComplaint",
        "Email": "reader2@example.net",
        "BouncedAt": "2026-11-28T11:58:00Z",
    }
    web.http.post("/webhooks/bounces/postmark", json=complaint, headers=basic(POSTMARK))
    assert statuses(web)["reader2@example.net"] == "complained"


def test_unknown_provider_is_404(web) -> None:
    assert web.http.post("/webhooks/bounces/acme", json={}).status_code == 404
