-- A customer signs up and opens a pending ticket: both keys numbered by the database.
INSERT INTO customers (email) SELECT 'c' || md5(random()::text) || '@example.com';
INSERT INTO tickets (customer_id, state, tags) SELECT max(id), 'pending', ARRAY['web'] FROM customers;
SELECT id, state, tags, priority FROM tickets WHERE state = 'pending' ORDER BY priority DESC LIMIT 10;
