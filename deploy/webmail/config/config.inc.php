<?php
// Kura's production webmail (compose service "webmail"). The local stack
// generates the same settings from kura.config.json (packages/config/src/roundcube.ts).
$config = [];
$config['product_name'] = 'Kura Webmail';
// State: sessions, settings, contacts. One instance; for several, point all at one
// PostgreSQL database (roundcube-pgsql) instead of SQLite.
$config['db_dsnw'] = 'sqlite:////var/lib/kura-webmail/roundcube.sqlite?mode=0600';
// IMAP through HAProxy like every client: STARTTLS, certificate verified with the system CAs.
$config['imap_host'] = 'tls://haproxy:143';
// Sending through Kura's submission with the user's own login; STARTTLS, verified.
$config['smtp_host'] = 'tls://haproxy:587';
$config['smtp_user'] = '%u';
$config['smtp_pass'] = '%p';
$config['imap_conn_options'] = ['ssl' => ['verify_peer' => true, 'verify_peer_name' => true, 'peer_name' => 'mail.example.edu']];
$config['smtp_conn_options'] = ['ssl' => ['verify_peer' => true, 'verify_peer_name' => true, 'peer_name' => 'mail.example.edu']];
$config['mail_domain'] = 'example.edu';
// des_key comes from the environment (ROUNDCUBE_DES_KEY, secrets/webmail.env): 24 random characters.
$config['des_key'] = '';
$config['temp_dir'] = '/var/lib/kura-webmail/temp';
$config['log_driver'] = 'stdout';
// HTTPS ends at HAProxy (fixed address in compose.yaml); cookies are Secure.
$config['use_https'] = true;
$config['proxy_whitelist'] = ['172.28.0.10'];
$config['language'] = null;
$config['skin'] = 'elastic';
$config['plugins'] = [];
$config['support_url'] = '';
$config['enable_installer'] = false;
$config['enable_spellcheck'] = false;
$config['create_default_folders'] = false;
$config['max_message_size'] = '50M';
