-- Statements of 2.0.0's code, imported from orm.log.

SELECT id, full_name, email FROM customers WHERE email_lower = lower($1);

INSERT INTO customers (id, full_name, email, email_lower, phone)
VALUES ($1, $2, $3, lower($3), $4) RETURNING id;

SELECT o.id, o.total_cents, o.customer_note FROM orders o WHERE o.customer_id = $1 AND o.status = $2;

UPDATE orders SET customer_note = $1 WHERE id = $2;
