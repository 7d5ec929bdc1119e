<?php
$CONFIG = array (
  'instanceid' => 'oc8x2yq4fleet',
  'trusted_domains' =>
  array (
    0 => 'cloud.example.test',
  ),
  'datadirectory' => '/var/www/nextcloud/data',
  'dbtype' => 'sqlite3',
  'version' => '29.0.4.1',
  'mail_smtpmode' => 'smtp',
  'mail_smtphost' => 'exchange.example.test',
  'mail_smtpport' => 25,
  'mail_from_address' => 'cloud',
  'mail_domain' => 'example.test',
  'installed' => true,
);
