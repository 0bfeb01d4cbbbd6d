"""The SMTP test server that notification tests rely on really speaks SMTP."""
import smtplib
from email.message import EmailMessage


def test_mail_sent_over_smtp_arrives_parsed(smtp_server):
    msg = EmailMessage()
    msg["From"] = "tracker@example.org"
    msg["To"] = "supervisor@example.org"
    msg["Subject"] = "Case overdue — توثيق"
    msg.set_content("Case C-1 is overdue for triage.\n")
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as smtp:
        smtp.send_message(msg)

    [received] = smtp_server.wait_for(1)
    assert received["To"] == "supervisor@example.org"
    assert received["Subject"] == "Case overdue — توثيق"
    assert "overdue for triage" in received.get_body(("plain",)).get_content()
    assert smtp_server.envelopes[0].rcpt_tos == ["supervisor@example.org"]


def test_app_fixture_is_pointed_at_the_test_server(app, smtp_server):
    assert app.config["MAIL_SERVER"] == "127.0.0.1"
    assert app.config["MAIL_PORT"] == smtp_server.port
