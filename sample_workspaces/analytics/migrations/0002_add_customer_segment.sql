-- Customers get a segment. The column is added nullable (no table rewrite, no long lock),
-- back-filled, and only then constrained.
BEGIN;

ALTER TABLE customers ADD COLUMN segment TEXT;

UPDATE customers SET segment = 'consumer' WHERE segment IS NULL;

ALTER TABLE customers
    ADD CONSTRAINT customers_segment_check
    CHECK (segment IN ('consumer', 'small_business', 'enterprise')) NOT VALID;
ALTER TABLE customers VALIDATE CONSTRAINT customers_segment_check;

COMMIT;

-- Outside the transaction: CONCURRENTLY cannot run inside one, and does not block writes.
CREATE INDEX CONCURRENTLY IF NOT EXISTS customers_segment_idx ON customers (segment);
