-- Orders as loaded from data/orders.csv.
CREATE TABLE orders (
    order_id    BIGINT PRIMARY KEY,
    customer_id BIGINT NOT NULL,
    amount_eur  NUMERIC(12, 2) NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'paid', 'refunded'))
);

CREATE INDEX orders_customer_id_idx ON orders (customer_id);
