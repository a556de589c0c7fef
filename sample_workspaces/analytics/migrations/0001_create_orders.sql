-- Warehouse tables for data/customers.csv, data/products.parquet and data/orders.parquet.
BEGIN;

CREATE TABLE customers (
    customer_id  BIGINT PRIMARY KEY,
    name         TEXT NOT NULL,
    email        TEXT NOT NULL,
    country      CHAR(2) NOT NULL,
    signup_date  DATE NOT NULL
);

CREATE UNIQUE INDEX customers_email_key ON customers (lower(email));

CREATE TABLE products (
    sku             TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    category        TEXT NOT NULL,
    unit_price_eur  NUMERIC(10, 2) NOT NULL CHECK (unit_price_eur >= 0),
    weight_kg       DOUBLE PRECISION,
    launched_on     DATE NOT NULL,
    active          BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE orders (
    order_id     BIGINT PRIMARY KEY,
    customer_id  BIGINT NOT NULL REFERENCES customers (customer_id),
    order_date   DATE NOT NULL,
    sku          TEXT NOT NULL REFERENCES products (sku),
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    amount       NUMERIC(12, 2) NOT NULL,
    currency     CHAR(3) NOT NULL,
    status       TEXT NOT NULL
        CHECK (status IN ('pending', 'shipped', 'delivered', 'cancelled', 'refunded')),
    country      CHAR(2) NOT NULL
);

CREATE INDEX orders_customer_id_idx ON orders (customer_id);
CREATE INDEX orders_order_date_idx ON orders (order_date);

COMMIT;
