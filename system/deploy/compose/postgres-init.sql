-- One database per service (DESIGN.md: services never read each other's databases).
CREATE DATABASE files;
CREATE DATABASE crm;
CREATE DATABASE mes;
