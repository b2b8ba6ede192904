-- Statements of 2.1.0's code, as its test run printed them.
SELECT id, full_name, email FROM customers WHERE email_lower = lower(:email);
INSERT INTO order_notes (id, order_id, body) VALUES (:id, :order_id, :body);
SELECT n.body, o.status
  FROM order_notes n JOIN orders o ON o.id = n.order_id
 WHERE o.customer_id = :customer_id AND o.status = :status
 ORDER BY n.id LIMIT 20;
