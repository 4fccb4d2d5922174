-- The database every gridfleet table lives in. Later migrations add the analytics tables.
CREATE DATABASE IF NOT EXISTS gridfleet;
