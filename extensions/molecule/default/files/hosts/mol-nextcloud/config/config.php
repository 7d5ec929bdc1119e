<?php
$CONFIG = array (
  'instanceid' => 'ocmolecule01',
  'trusted_domains' =>
  array (
    0 => 'localhost',
  ),
  'datadirectory' => '/var/www/nextcloud/data',
  'dbtype' => 'sqlite3',
  'installed' => true,
);
