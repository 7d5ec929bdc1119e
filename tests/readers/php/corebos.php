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

// Requests coreBOS sends mail from: a cron/workflow run (no request), and an Ajax send from the Emails module.
const PAGES = array(
    'cron' => array(),
    'Emails/EmailsAjax' => array('module' => 'Emails', 'action' => 'EmailsAjax', 'file' => 'mailsend'),
);

function corebos_doconvert(array $request) {
    foreach (array('action', 'search', 'module', 'file') as $name) {
        $request[$name] = empty($request[$name]) ? '' : $request[$name];
    }
    $ajax_action = '';
    if ($request['file'] != 'ActivityReminderCallbackAjax' && $request['module'] != 'Settings'
        && $request['file'] != 'ListView' && $request['module'] != 'Portal' && $request['module'] != 'Reports') {
        $ajax_action = $request['module'] . 'Ajax';
    }
    $skipped = array('CustomView', 'Export', $ajax_action, 'LeadConvertToEntities', 'CreatePDF', 'ConvertAsFAQ',
                     'CreateSOPDF', 'SendPDFMail');
    $converts = !in_array($request['action'], $skipped, true) && $request['module'] != 'Dashboard'
        && !isset($request['submode']);
    return $converts || $request['search'];
}

function corebos_query_result(array $row, $column, $doconvert) {
    if (!isset($row[$column])) {
        return '';
    }
    return $doconvert ? htmlentities($row[$column], ENT_QUOTES, 'UTF-8') : $row[$column];
}

function corebos_mail_settings(array $row, $doconvert) {
    return array(
        'server' => corebos_query_result($row, 'server', $doconvert),
        'server_username' => corebos_query_result($row, 'server_username', $doconvert),
        'server_password' => html_entity_decode(corebos_query_result($row, 'server_password', $doconvert),
                                                ENT_QUOTES, 'UTF-8'),
        'smtp_auth' => corebos_query_result($row, 'smtp_auth', $doconvert),
        'from_email_field' => corebos_query_result($row, 'from_email_field', $doconvert),
    );
}

mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
$request = json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR);
$db = mysqli_connect($request['host'], $request['user'], $request['password'], null, (int) $request['port']);
$answers = array();
foreach ($request['databases'] as $name) {
    try {
        mysqli_select_db($db, $name);
        mysqli_query($db, 'SET NAMES utf8');
        $statement = mysqli_prepare($db, 'select * from vtiger_systems where server_type=?');
        $type = 'email';
        mysqli_stmt_bind_param($statement, 's', $type);
        mysqli_stmt_execute($statement);
        $row = mysqli_fetch_assoc(mysqli_stmt_get_result($statement));
        mysqli_stmt_close($statement);
        $pages = array();
        foreach (PAGES as $page => $page_request) {
            $pages[$page] = corebos_mail_settings($row ?: array(), corebos_doconvert($page_request));
        }
        $answers[] = array('values' => $pages);
    } catch (Throwable $e) {
        $answers[] = array('error' => get_class($e) . ': ' . $e->getMessage());
    }
}
echo json_encode($answers, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);
