<?php
return require '/etc/roundcube/mimetypes.php';
