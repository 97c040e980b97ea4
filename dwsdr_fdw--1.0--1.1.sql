/* dwsdr_fdw--1.0--1.1.sql */

-- complain if script is sourced in psql, rather than via ALTER EXTENSION
\echo Use "ALTER EXTENSION dwsdr_fdw UPDATE TO '1.1'" to load this file. \quit

-- new in 1.1 (keep this block equal to the end of dwsdr_fdw--1.1.sql)
-- end of new in 1.1
