-- Fills the benchmark warehouse inside PostgreSQL, with no data crossing the client connection:
--   psql -v rows=10000000 -f bench/pipeline/warehouse.sql   (in a database named prod)
--
-- Shape (deterministic, so every run reads the same table):
--   * one key = (learner, course run, enterprise); about rows/10 keys, 1 to 19 daily rows each (10 on average);
--   * learners hold 1 to 4 course runs each (about rows/25 learners), all in the learner's one enterprise;
--   * 300 course runs over 12 organisations, 40 enterprises, days spread over 2025;
--   * 30 to 7,230 seconds a day.
-- The key list is kept in bench_keys so the completion generator draws real keys from it.
-- The table is the specification's PROD.BUSINESS_INTELLIGENCE.LEARNING_TIME (database prod), with
-- the composite primary key a warehouse table of daily rows has, which is the index lookups use.
\set ON_ERROR_STOP on
\timing off
SET client_min_messages = warning;
SET max_parallel_workers_per_gather = 2;
SET maintenance_work_mem = '512MB';
SET work_mem = '256MB';

DROP SCHEMA IF EXISTS business_intelligence CASCADE;
CREATE SCHEMA business_intelligence;

CREATE UNLOGGED TABLE business_intelligence.bench_courses AS
SELECT c AS course_no,
       format('course-v1:%s+%s%s+%s',
              (ARRAY['edX','MITx','HarvardX','BerkeleyX','DelftX','UQx','IBM','Microsoft','LinuxFoundationX','GeorgetownX','ColumbiaX','UBCx'])[1 + c % 12],
              (ARRAY['CS','DS','MATH','BIO','ECON','PHYS','LAW','MED'])[1 + (c / 12) % 8],
              100 + c,
              (ARRAY['2025_T1','2025_T2','2025_T3','3T2025','1T2026'])[1 + (c / 7) % 5]) AS course_key
FROM generate_series(0, 299) AS c;

CREATE UNLOGGED TABLE business_intelligence.bench_enterprises AS
SELECT e AS enterprise_no,
       regexp_replace(md5('enterprise-' || e), '^(.{8})(.{4})(.{4})(.{4})(.{12})$', '\1-\2-\3-\4-\5') AS uuid
FROM generate_series(0, 39) AS e;

-- Key k: learner 100000 + k/4, that learner's (k%4)-th course run, the learner's enterprise.
CREATE UNLOGGED TABLE business_intelligence.bench_keys AS
SELECT k,
       (100000 + k / 4)::bigint AS user_id,
       c.course_key,
       e.uuid AS enterprise_customer_uuid,
       1 + (hashint4(k::int) & 2147483647) % 19 AS days
FROM generate_series(0, greatest(1, :rows / 10) - 1) AS k
JOIN business_intelligence.bench_courses c ON c.course_no = ((k / 4) * 7 + (k % 4) * 61) % 300
JOIN business_intelligence.bench_enterprises e ON e.enterprise_no = (hashint4((k / 4)::int) & 2147483647) % 40;

CREATE TABLE business_intelligence.learning_time (
    user_id BIGINT NOT NULL,
    course_key VARCHAR(255) NOT NULL,
    enterprise_customer_uuid VARCHAR(36) NOT NULL,
    date DATE NOT NULL,
    learning_time_seconds INTEGER NOT NULL
);

INSERT INTO business_intelligence.learning_time
SELECT k.user_id, k.course_key, k.enterprise_customer_uuid,
       DATE '2025-01-01' + ((k.k * 13 + d * 17) % 365),
       30 + (hashint4((k.k * 31 + d)::int) & 2147483647) % 7200
FROM business_intelligence.bench_keys k, generate_series(0, k.days - 1) AS d;

ALTER TABLE business_intelligence.learning_time
    ADD PRIMARY KEY (user_id, course_key, enterprise_customer_uuid, date);
ANALYZE business_intelligence.learning_time;

SELECT count(*) AS rows, (SELECT count(*) FROM business_intelligence.bench_keys) AS keys,
       (SELECT count(DISTINCT user_id) FROM business_intelligence.bench_keys) AS learners
FROM business_intelligence.learning_time;
