-- Answers IMAP and POP3 clients while no Kura frontend instance is healthy
-- (the data tier or Redis is down): an honest "try again shortly" instead of
-- a refused connection or a misleading "wrong password".
core.register_service("imap_unavailable", "tcp", function(applet)
  applet:send("* BYE [UNAVAILABLE] Mail storage is temporarily unavailable, please try again in a few minutes\r\n")
end)
core.register_service("pop3_unavailable", "tcp", function(applet)
  applet:send("-ERR [SYS/TEMP] Mail storage is temporarily unavailable, please try again in a few minutes\r\n")
end)
