<?php
$CONFIG = array (
  'instanceid' => 'oc4demo1a2b3',
  'passwordsalt' => 'demo-salt',
  'secret' => 'demo-secret',
  'trusted_domains' => 
  array (
    0 => 'localhost',
    1 => 'cloud.example.com',
  ),
  'datadirectory' => '/var/www/html/data',
  'dbtype' => 'sqlite3',
  'version' => '27.1.3.2',
  'installed' => true,
  'mail_smtpmode' => 'smtp',
  'mail_smtpauthtype' => 'LOGIN',
  'mail_smtpsecure' => 'ssl',
  'mail_smtpauth' => 1,
  'mail_from_address' => 'noreply',
  'mail_domain' => 'old-exchange.example.com',
  'mail_smtphost' => 'exchange.example.com',
  'mail_smtpport' => '465',
  'mail_smtpname' => 'noreply@old-exchange.example.com',
  'mail_smtppassword' => 'the-old-exchange-password',
  'memcache.local' => '\\OC\\Memcache\\APCu',
  'theme' => '',
);
