<?php
// coreBOS sending one mail with the outgoing server row the module wrote, through real PHPMailer.
//
// coreBOS bundles PHPMailer 5.2 (modules/Emails/class.phpmailer.php, class.smtp.php); Debian 12 packages
// PHPMailer 6.6 (libphp-phpmailer), whose SMTP connection steps are the same ones (Host entries
// "[tls://|ssl://]host[:port]" tried in order, SMTPSecure, SMTPAutoTLS true by default: STARTTLS whenever the
// server offers it, SMTPAuth with CRAM-MD5, LOGIN, PLAIN in that order, certificates verified against the
// host's OpenSSL store). The settings are mapped as tsolucio/corebos modules/Emails/mail.php does (read, not
// copied): setMailServerProperties() — SMTPAuth unless smtp_auth is 'false'; SMTPSecure = smtp_auth unless it
// is 'true' ('tlsnc'/'sslnc': no certificate check, then 'tls'/'ssl'); Host = server; Username; Password =
// html_entity_decode of the stored password — then setMailerProperties() (IsSMTP, From, FromName,
// addAddress) and send_mail()'s sender: Email From (from_email_field) when set, else the sender it was given.
// The row is read as on a cron/workflow request (tests/readers/php/corebos_lib.php).
//
// stdin: JSON {"host", "port", "user", "password", "database", "to", "sender"}
// stdout: JSON {"sent": true} or {"error": "..."} (PHPMailer's ErrorInfo), or {"skipped": "..."} when
// send_mail() returns before sending (no outgoing server configured).

require __DIR__ . '/../readers/php/corebos_lib.php';
require '/usr/share/php/libphp-phpmailer/autoload.php';

use PHPMailer\PHPMailer\PHPMailer;

mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
$request = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
$db = mysqli_connect($request['host'], $request['user'], $request['password'], null, (int) $request['port']);
$settings = corebos_mail_settings(corebos_email_row($db, $request['database']), corebos_doconvert(PAGES['cron']));

$mail = new PHPMailer();
$mail->Subject = 'coreBOS as tested';
$mail->Body = 'hello';
$mail->IsSMTP();
$smtp_auth = $settings['smtp_auth'];
if ('false' != $smtp_auth) {
    $mail->SMTPAuth = true;
    if ('true' != $smtp_auth) {
        if ($smtp_auth == 'sslnc' || $smtp_auth == 'tlsnc') {
            $mail->SMTPOptions = array('ssl' => array('verify_peer' => false, 'verify_peer_name' => false,
                                                      'allow_self_signed' => true));
            $smtp_auth = substr($smtp_auth, 0, 3);
        }
        $mail->SMTPSecure = $smtp_auth;
    }
}
$mail->Host = $settings['server'];
$mail->Username = $settings['server_username'];
$mail->Password = $settings['server_password'];
$from = $settings['from_email_field'] != '' ? $settings['from_email_field'] : $request['sender'];
$mail->From = $from;
$mail->FromName = 'coreBOS';
$mail->addAddress($request['to']);
$mail->Timeout = 10;  // a bound for the test (coreBOS keeps PHPMailer's 300 s); no scenario waits on it
if (empty($mail->Host)) {
    echo json_encode(array('skipped' => 'no outgoing server configured'));
    exit(0);
}
echo json_encode($mail->Send() ? array('sent' => true) : array('error' => $mail->ErrorInfo),
                 JSON_UNESCAPED_SLASHES);
