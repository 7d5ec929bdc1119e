<?php
// Nextcloud's reading of config/config.php (lib/private/Config.php): include the file and take $CONFIG.
// stdin: JSON array of file paths; stdout: JSON array of {"values": $CONFIG} or {"error": "..."}.
function nextcloud_read_config($path) {
    $CONFIG = null;
    include $path;
    if (!isset($CONFIG) || !is_array($CONFIG)) {
        throw new Exception('config.php does not define the $CONFIG array');
    }
    return $CONFIG;
}

$answers = array();
foreach (json_decode(stream_get_contents(STDIN), true, 512, JSON_THROW_ON_ERROR) as $path) {
    try {
        ob_start();
        $values = nextcloud_read_config($path);
        $stray = ob_get_clean();
        if ($stray !== '') {
            // Text outside the PHP tags is sent to every HTTP client before Nextcloud's headers.
            throw new Exception('config.php prints ' . strlen($stray) . ' byte(s) outside PHP tags');
        }
        $answers[] = array('values' => (object) $values);
    } catch (Throwable $e) {
        if (ob_get_level() > 0) {
            ob_end_clean();
        }
        $answers[] = array('error' => get_class($e) . ': ' . $e->getMessage());
    }
}
echo json_encode($answers, JSON_THROW_ON_ERROR | JSON_PRESERVE_ZERO_FRACTION | JSON_UNESCAPED_SLASHES);
