-- Statements of 1.3.0's code, imported from orm-1.3.0.log.

SELECT users.id, users.email, users.legacy_email, users.nickname
FROM users WHERE users.id = $1 LIMIT $2;

INSERT INTO users (id, email, legacy_email, nickname) VALUES ($1, $2, $3, $4);

UPDATE users SET nickname = $1 WHERE users.id = $2;
