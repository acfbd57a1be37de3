-- One database per service, beside Temporal's own, created when the PostgreSQL volume is first initialised.
CREATE DATABASE orders;
CREATE DATABASE inventory;
CREATE DATABASE payments;
CREATE DATABASE shipping;
