-- Statements of 1.4.0's code, imported from orm-1.4.0.log.

SELECT users.id, users.email, users.nickname FROM users WHERE users.id = $1 LIMIT $2;

INSERT INTO users (id, email, nickname) VALUES ($1, $2, $3);

SELECT count(*) FROM users WHERE users.email LIKE $1;
