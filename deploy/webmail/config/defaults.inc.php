<?php
// Roundcube's shipped defaults, unchanged.
require '/etc/roundcube/defaults.inc.php';
