<?php
// coreBOS's reading of its outgoing mail server, run by real PHP against the real database.
//
// The steps follow tsolucio/corebos (read, not copied; master as of 2026):
// - include/database/PearDatabase.php: the connection runs "SET NAMES utf8" ($default_charset 'UTF-8');
//   query_result() returns '' for a missing/NULL column, else to_html(value);
// - include/utils/utils.php: decide_to_html() sets $doconvert once per request from $_REQUEST, and to_html()
//   returns htmlentities($s, ENT_QUOTES, 'UTF-8') when $doconvert, else $s unchanged;
// - modules/Emails/mail.php: setMailServerProperties() (no $_REQUEST override, i.e. any mail but the test
//   mail of Settings > Outgoing Server) takes server, server_username and smtp_auth from query_result(),
//   and the password as html_entity_decode(query_result(...), ENT_QUOTES, 'UTF-8'); send_mail() takes
//   from_email_field from query_result().
//
// stdin: JSON {"host", "port", "user", "password", "databases": [names]}
// stdout: JSON array, per database {"values": {page: {server, server_username, server_password, smtp_auth,
//         from_email_field}}} or {"error": "..."}; pages are the requests in PAGES.

require __DIR__ . '/corebos_lib.php';

mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
$request = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
$db = mysqli_connect($request['host'], $request['user'], $request['password'], null, (int) $request['port']);
$answers = array();
foreach ($request['databases'] as $name) {
    try {
        $row = corebos_email_row($db, $name);
        $pages = array();
        foreach (PAGES as $page => $page_request) {
            $pages[$page] = corebos_mail_settings($row, corebos_doconvert($page_request));
        }
        $answers[] = array('values' => $pages);
    } catch (Throwable $e) {
        $answers[] = array('error' => get_class($e) . ': ' . $e->getMessage());
    }
}
echo json_encode($answers, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);
