-- Statements of 1.9.0's code, imported from top.csv.

SELECT id, name, email, phone FROM customers WHERE id = $1;

SELECT o.id, o.total_cents, o.status, o.note, c.name
FROM orders o JOIN customers c ON c.id = o.customer_id
WHERE o.customer_id = $1 ORDER BY o.id DESC LIMIT $2;

INSERT INTO orders (id, customer_id, total_cents, status, note) VALUES ($1, $2, $3, $4, $5);

UPDATE orders SET status = $1 WHERE id = $2;
