-- The LMS tables examples/lms-completions reads, with only the columns it reads, and rows giving the
-- four completions of examples/completions.ndjson plus lines it must leave out. The columns are
-- those of Open edX (edx-platform: auth_user, grades_persistentcoursegrade,
-- course_overviews_courseoverview; edx-enterprise: enterprise_enterprisecustomer,
-- enterprise_enterprisecustomeruser, enterprise_enterprisecourseenrollment) on PostgreSQL.
-- Load it into a scratch database: psql -X -v ON_ERROR_STOP=1 -f examples/lms.sql
CREATE TABLE auth_user (
    id INTEGER PRIMARY KEY,
    username VARCHAR(150) NOT NULL,
    email VARCHAR(254) NOT NULL
);
CREATE TABLE course_overviews_courseoverview (
    id VARCHAR(255) PRIMARY KEY,
    display_name TEXT
);
CREATE TABLE grades_persistentcoursegrade (
    id BIGSERIAL PRIMARY KEY,
    user_id INTEGER NOT NULL,
    course_id VARCHAR(255) NOT NULL,
    percent_grade DOUBLE PRECISION NOT NULL,
    letter_grade VARCHAR(255) NOT NULL,
    passed_timestamp TIMESTAMP WITH TIME ZONE,
    UNIQUE (course_id, user_id)
);
CREATE TABLE enterprise_enterprisecustomer (
    uuid UUID PRIMARY KEY,
    name VARCHAR(255) NOT NULL
);
CREATE TABLE enterprise_enterprisecustomeruser (
    id SERIAL PRIMARY KEY,
    enterprise_customer_id UUID NOT NULL REFERENCES enterprise_enterprisecustomer (uuid),
    user_id INTEGER NOT NULL
);
CREATE TABLE enterprise_enterprisecourseenrollment (
    id SERIAL PRIMARY KEY,
    enterprise_customer_user_id INTEGER NOT NULL REFERENCES enterprise_enterprisecustomeruser (id),
    course_id VARCHAR(255) NOT NULL
);

INSERT INTO auth_user VALUES
    (12345, 'learner_user', 'learner@example.com'),
    (23456, 'ada', 'ada@example.com'),
    (34567, 'grace', 'grace@example.com'),
    (45678, 'alan', 'alan@example.com'),
    (56789, 'linus', 'linus@example.com');
INSERT INTO course_overviews_courseoverview VALUES
    ('course-v1:edX+DemoX+Demo_Course', 'edX Demo Course'),
    ('course-v1:MITx+6.00.1x+2026_T1', 'Introduction to Computer Science'),
    ('course-v1:HarvardX+CS50+2026', 'CS50');
INSERT INTO enterprise_enterprisecustomer VALUES
    ('a1b2c3d4-e5f6-7890-abcd-ef1234567890', 'Demo Corp'),
    ('f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f', 'Skillsoft Learners Inc');
INSERT INTO enterprise_enterprisecustomeruser (id, enterprise_customer_id, user_id) VALUES
    (1, 'a1b2c3d4-e5f6-7890-abcd-ef1234567890', 12345),
    (2, 'a1b2c3d4-e5f6-7890-abcd-ef1234567890', 23456),
    (3, 'f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f', 34567),
    (4, 'f0e1d2c3-b4a5-9687-7869-5a4b3c2d1e0f', 45678);
INSERT INTO enterprise_enterprisecourseenrollment (enterprise_customer_user_id, course_id) VALUES
    (1, 'course-v1:edX+DemoX+Demo_Course'),
    (1, 'course-v1:MITx+6.00.1x+2026_T1'),
    (2, 'course-v1:MITx+6.00.1x+2026_T1'),
    (3, 'course-v1:HarvardX+CS50+2026'),
    (4, 'course-v1:edX+DemoX+Demo_Course'),
    (4, 'course-v1:HarvardX+CS50+2026');
INSERT INTO grades_persistentcoursegrade (user_id, course_id, percent_grade, letter_grade, passed_timestamp) VALUES
    (12345, 'course-v1:edX+DemoX+Demo_Course', 0.92, 'A', '2026-01-10 15:30:00+00'),
    (23456, 'course-v1:MITx+6.00.1x+2026_T1', 0.81, 'B', '2026-02-03 09:12:00+00'),
    (34567, 'course-v1:HarvardX+CS50+2026', 1.0, 'A', '2026-03-12 17:45:00+00'),
    (45678, 'course-v1:edX+DemoX+Demo_Course', 0.75, 'C', '2026-01-21 11:00:00+00'),
    -- Left out: a grade that has not passed, and a completion outside any enterprise.
    (12345, 'course-v1:MITx+6.00.1x+2026_T1', 0.4, '', NULL),
    (56789, 'course-v1:edX+DemoX+Demo_Course', 0.99, 'A', '2026-01-10 12:00:00+00');
