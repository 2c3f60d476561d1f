"""The email channel's settings: what an admin may type, and the message that names what is wrong."""

import pytest

from adapters.base import Channel
from adapters.email import EmailConfig, email_channel
from adapters.email.config import checked_address

MINIMAL = {"host": "smtp.kahvila.fi", "from_address": "laskutus@kahvila.fi"}


def problems_of(**settings) -> str:
    with pytest.raises(ValueError) as error:
        EmailConfig.from_settings(settings)
    return str(error.value)


def test_host_and_sender_are_enough_and_the_rest_has_safe_defaults():
    channel = email_channel(MINIMAL)

    assert isinstance(channel, Channel) and channel.name == "email"
    config = channel.config
    assert (config.security, config.port, config.timeout) == ("starttls", 587, 30.0)
    assert (config.username, config.password, config.from_name, config.reply_to, config.bcc) == (None,) * 5
    assert config.attach_finvoice is False


@pytest.mark.parametrize(("security", "port"), [("starttls", 587), ("ssl", 465), ("none", 25)])
def test_the_port_follows_the_security_unless_given(security, port):
    assert EmailConfig.from_settings({**MINIMAL, "security": security}).port == port
    assert EmailConfig.from_settings({**MINIMAL, "security": security, "port": "2525"}).port == 2525


def test_every_setting_is_taken_as_given():
    config = EmailConfig.from_settings({
        **MINIMAL, "port": 465, "security": "ssl", "username": "kahvila", "password": "s3cret",
        "from_name": "Kahvila Oy laskutus", "reply_to": "asiakaspalvelu@kahvila.fi",
        "bcc": "arkisto@kahvila.fi",
        "attach_finvoice": True, "timeout": "12.5",
    })

    assert (config.port, config.security) == (465, "ssl")
    assert (config.username, config.password) == ("kahvila", "s3cret")
    assert (config.from_name, config.reply_to, config.bcc) == (
        "Kahvila Oy laskutus", "asiakaspalvelu@kahvila.fi", "arkisto@kahvila.fi")
    assert (config.attach_finvoice, config.timeout) == (True, 12.5)


def test_missing_host_and_sender_are_both_named():
    message = problems_of()
    assert "host is missing" in message and "from_address is missing" in message


def test_a_misspelt_setting_is_refused_by_name():
    message = problems_of(**MINIMAL, form_address="x@kahvila.fi")
    assert "form_address: unknown setting" in message


@pytest.mark.parametrize(("settings", "problem"), [
    ({"security": "tls"}, "security must be one of starttls, ssl, none"),
    ({"port": 0}, "port must be a whole number from 1 to 65535"),
    ({"port": 70000}, "port must be a whole number from 1 to 65535"),
    ({"port": "smtp"}, "port must be a whole number from 1 to 65535"),
    ({"port": True}, "port must be a whole number from 1 to 65535"),
    ({"host": "smtp://mail.kahvila.fi"}, "host must be a host name or an IP address"),
    ({"from_address": "laskutus"}, "from_address is not a valid email address"),
    ({"from_address": "Kahvila <laskutus@kahvila.fi>"}, "from_address is not a valid email address"),
    ({"reply_to": "a@b@c"}, "reply_to is not a valid email address"),
    ({"bcc": "arkisto@"}, "bcc is not a valid email address"),
    ({"username": "kahvila"}, "username and password must be given together, or neither"),
    ({"password": "s3cret"}, "username and password must be given together, or neither"),
    ({"from_name": "Kahvila\nBcc: x@evil.example"}, "from_name must be one line of text"),
    ({"attach_finvoice": "yes"}, "attach_finvoice must be true or false"),
    ({"timeout": 0}, "timeout must be a number of seconds above 0 and at most 600"),
    ({"timeout": "soon"}, "timeout must be a number of seconds above 0 and at most 600"),
    ({"timeout": "nan"}, "timeout must be a number of seconds above 0 and at most 600"),
])
def test_a_bad_value_is_refused_naming_the_setting(settings, problem):
    assert problem in problems_of(**{**MINIMAL, **settings})


def test_all_problems_are_reported_at_once():
    message = problems_of(host="", from_address="nobody", security="tls", timeout=-1)
    assert message.count(";") == 3


def test_the_password_is_never_shown_back():
    secret = "hunter2-very-secret"
    config = EmailConfig.from_settings({**MINIMAL, "username": "kahvila", "password": secret})
    assert secret not in repr(config)
    # Typed into the wrong field, it is still not repeated in the error the admin (and a log) sees.
    assert secret not in problems_of(**MINIMAL, username="kahvila", password=secret, bcc=secret)


@pytest.mark.parametrize(("typed", "sent"), [
    ("laskut@esimerkki.fi", "laskut@esimerkki.fi"),
    ("  Laskut@Esimerkki.FI ", "Laskut@esimerkki.fi"),  # the local part is the mailbox owner's to case
    ("first.last+invoices@sub.example.com", "first.last+invoices@sub.example.com"),
    ("laskut@kähvilä.fi", "laskut@xn--khvil-grae.fi"),  # an internationalised domain, as DNS knows it
])
def test_an_address_is_sent_as_dns_and_smtp_expect_it(typed, sent):
    assert checked_address(typed) == sent


@pytest.mark.parametrize("typed", [
    "", "laskut", "@esimerkki.fi", "laskut@", "laskut@esimerkki", "laskut @esimerkki.fi",
    "laskut@esimerkki..fi", ".laskut@esimerkki.fi", "matti.meikäläinen@esimerkki.fi", "a@b.fi, c@d.fi",
    "laskut@esimerkki.fi\r\nBcc: x@evil.example", None, 42,
])
def test_what_is_not_one_sendable_address_is_refused(typed):
    assert checked_address(typed) is None
