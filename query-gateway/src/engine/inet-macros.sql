-- Postgres's text forms of inet values for the cold tier's 16-byte addresses
-- (IPv4 mapped into ::ffff:0:0/96), created once at engine start so host(),
-- abbrev(), family(), masklen() and inet::text rewritten by sql/rewrite.ts
-- print what Postgres prints. Postgres (BIND's inet_net_ntop) writes IPv6
-- with lowercase hex groups without leading zeros, the FIRST longest run of
-- two or more zero groups as '::', and the last 32 bits dotted when the
-- first 96 bits are zero and the seventh group is not (::1.2.3.4, but ::1).
-- Parameters: none; each statement is run on its own.

-- The longest (first on ties) run of 2+ zero groups of 'g:g:g:g:g:g:g:g' as '::'.
CREATE MACRO pg_inet6_compress(s) AS (
  CASE
    WHEN regexp_matches(s, '(^|:)0(:0){7}(:|$)') THEN regexp_replace(s, '(^|:)0(:0){7}(:|$)', '::')
    WHEN regexp_matches(s, '(^|:)0(:0){6}(:|$)') THEN regexp_replace(s, '(^|:)0(:0){6}(:|$)', '::')
    WHEN regexp_matches(s, '(^|:)0(:0){5}(:|$)') THEN regexp_replace(s, '(^|:)0(:0){5}(:|$)', '::')
    WHEN regexp_matches(s, '(^|:)0(:0){4}(:|$)') THEN regexp_replace(s, '(^|:)0(:0){4}(:|$)', '::')
    WHEN regexp_matches(s, '(^|:)0(:0){3}(:|$)') THEN regexp_replace(s, '(^|:)0(:0){3}(:|$)', '::')
    WHEN regexp_matches(s, '(^|:)0(:0){2}(:|$)') THEN regexp_replace(s, '(^|:)0(:0){2}(:|$)', '::')
    WHEN regexp_matches(s, '(^|:)0(:0){1}(:|$)') THEN regexp_replace(s, '(^|:)0(:0){1}(:|$)', '::')
    ELSE s
  END
);

CREATE MACRO pg_inet_dotted(h) AS (
  concat_ws('.', ('0x' || substr(h, 25, 2))::INTEGER, ('0x' || substr(h, 27, 2))::INTEGER,
                 ('0x' || substr(h, 29, 2))::INTEGER, ('0x' || substr(h, 31, 2))::INTEGER)
);

CREATE MACRO pg_inet_text(b) AS (
  CASE
    WHEN b IS NULL THEN NULL
    WHEN substr(hex(b), 1, 24) = '00000000000000000000FFFF' THEN pg_inet_dotted(hex(b))
    WHEN substr(hex(b), 1, 24) = '000000000000000000000000' AND substr(hex(b), 25, 4) <> '0000'
      THEN '::' || pg_inet_dotted(hex(b))
    ELSE pg_inet6_compress(array_to_string(
      list_transform(range(8), i -> coalesce(nullif(ltrim(lower(substr(hex(b), i * 4 + 1, 4)), '0'), ''), '0')), ':'))
  END
);

CREATE MACRO pg_inet_family(b) AS (
  CASE WHEN b IS NULL THEN NULL WHEN substr(hex(b), 1, 24) = '00000000000000000000FFFF' THEN 4 ELSE 6 END
);

-- Stored addresses are hosts: /32 or /128.
CREATE MACRO pg_inet_masklen(b) AS (CASE pg_inet_family(b) WHEN 4 THEN 32 WHEN 6 THEN 128 END);

CREATE MACRO pg_inet_cast_text(b) AS (pg_inet_text(b) || '/' || pg_inet_masklen(b));
