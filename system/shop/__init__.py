"""The web Shop: server-rendered pages and a backend-for-frontend over the CRM, MES and File Service."""
