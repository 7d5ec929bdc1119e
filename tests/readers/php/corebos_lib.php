<?php
// coreBOS's reading of its outgoing mail server row (the steps corebos.php describes), shared by
// corebos.php (the reader) and tests/integration/corebos_mail.php (coreBOS's PHPMailer set-up and send).

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

function corebos_email_row(mysqli $db, $name) {
    mysqli_select_db($db, $name);
    mysqli_query($db, 'SET NAMES utf8');
    $statement = mysqli_prepare($db, 'select * from vtiger_systems where server_type=?');
    $type = 'email';
    mysqli_stmt_bind_param($statement, 's', $type);
    mysqli_stmt_execute($statement);
    $row = mysqli_fetch_assoc(mysqli_stmt_get_result($statement));
    mysqli_stmt_close($statement);
    return $row ?: array();
}
