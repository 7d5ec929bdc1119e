"""The exact replies the sandbox sends, modelled on what the named providers send.

Multi-line replies are joined with CRLF; aiosmtpd's push() adds the final CRLF.
"""

GREETING_IDENT = "ESMTP mailops sandbox"

AUTH_OK = "235 2.7.0 Authentication successful"
AUTH_INVALID = "535 5.7.8 Authentication credentials invalid"
AUTH_REQUIRED = "530 5.7.0 Authentication required"
STARTTLS_REQUIRED = "530 5.7.0 Must issue a STARTTLS command first"

# Gmail: the account password instead of an App Password.
AUTH_FAILED_GMAIL = (
    "535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
    "535 5.7.8  https://support.google.com/mail/?p=BadCredentials sandbox.1 - gsmtp"
)
# Gmail with 2-Step Verification on.
APP_PASSWORD_REQUIRED = (
    "534-5.7.9 Application-specific password required. For more information, go to\r\n"
    "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor sandbox.1 - gsmtp"
)
# Microsoft 365 refusing a wrong password.
AUTH_FAILED_O365 = (
    "535 5.7.139 Authentication unsuccessful, the user credentials were incorrect. [SANDBOX.prod.outlook.com]"
)
# Microsoft 365 after the Basic-authentication switch-off: no password login at all, whatever the password.
BASIC_AUTH_DISABLED_O365 = (
    "550 5.7.30 Basic authentication is not supported for Client Submission. [SANDBOX.prod.outlook.com]"
)

GREETING_421 = "421 4.3.2 Service not available"

MAIL_OK = "250 2.1.0 Ok"
RCPT_OK = "250 2.1.5 Ok"


def sender_not_owned(address, user):
    return "553 5.7.1 <%s>: Sender address rejected: not owned by user %s" % (address, user)


def sender_not_logged_in(address):
    return "553 5.7.1 <%s>: Sender address rejected: not logged in" % (address,)


def relay_denied(rcpt):
    return "554 5.7.1 <%s>: Relay access denied" % (rcpt,)


def relay_denied_temp(rcpt):
    return "454 4.7.1 <%s>: Relay access denied" % (rcpt,)


RCPT_GREYLISTED = "451 4.7.1 Greylisted, please try again later"


def recipient_unknown(rcpt):
    return "550 5.1.1 <%s>: Recipient address rejected: User unknown in virtual mailbox table" % (rcpt,)


DATA_REFUSED = "554 5.3.4 Message refused: DATA not accepted from this client"
MESSAGE_REJECTED = "552 5.3.4 Message size exceeds fixed limit"
SEND_AS_DENIED = "550 5.7.60 SMTP; Client does not have permissions to send as this sender"


def unverified_sender(address, region="EU-WEST-1"):
    return (
        "554 Message rejected: Email address is not verified. The following identities failed the check "
        "in region %s: %s" % (region, address)
    )


def queued(queue_id):
    return "250 2.0.0 Ok: queued as %s" % (queue_id,)
