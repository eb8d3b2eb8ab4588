-- A small LEARNING_TIME table, one row per learner, course, enterprise and day, as in the
-- warehouse. Load it into SQLite (sqlite3 warehouse.db < examples/warehouse.sql) or PostgreSQL
-- (psql -f examples/warehouse.sql).
CREATE TABLE LEARNING_TIME (
    USER_ID INTEGER NOT NULL,
    COURSE_KEY VARCHAR(255) NOT NULL,
    ENTERPRISE_CUSTOMER_UUID VARCHAR(36) NOT NULL,
    DATE DATE NOT NULL,
    LEARNING_TIME_SECONDS INTEGER NOT NULL,
    PRIMARY KEY (USER_ID, COURSE_KEY, ENTERPRISE_CUSTOMER_UUID, DATE)
);

INSERT INTO LEARNING_TIME VALUES
    (12345, 'course-v1:edX+DemoX+Demo_Course', 'a1b2c3d4-e5f6-7890-abcd-ef1234567890', '2026-01-05', 7200),
    (12345, 'course-v1:edX+DemoX+Demo_Course', 'a1b2c3d4-e5f6-7890-abcd-ef1234567890', '2026-01-07', 5400),
    (12345, 'course-v1:edX+DemoX+Demo_Course', 'a1b2c3d4-e5f6-7890-abcd-ef1234567890', '2026-01-09', 5940),
    (23456, 'course-v1:MITx+6.00.1x+2026_T1', 'a1b2c3d4-e5f6-7890-abcd-ef1234567890', '2026-02-01', 3600),
    (23456, 'course-v1:MITx+6.00.1x+2026_T1', 'a1b2c3d4-e5f6-7890-abcd-ef1234567890', '2026-02-02', 18),
    (34567, 'course-v1:HarvardX+CS50+2026', 'f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f', '2026-03-10', 90),
    (34567, 'course-v1:HarvardX+CS50+2026', 'f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f', '2026-03-11', 45000),
    (45678, 'course-v1:edX+DemoX+Demo_Course', 'f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f', '2026-01-20', 1234);
