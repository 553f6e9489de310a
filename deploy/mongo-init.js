// Run once by the mongo image on an empty data volume (/docker-entrypoint-initdb.d, in mongosh,
// authenticated as the root user): the user kefu connects as, with readWrite on its database only
// (README "MongoDB store", step 2). The password comes from .env through the container's env.
const password = process.env.KEFU_MONGO_PASSWORD;
if (!password) throw new Error('KEFU_MONGO_PASSWORD is not set (see .env)');
db.getSiblingDB('kefu').createUser({ user: 'kefu', pwd: password, roles: [{ role: 'readWrite', db: 'kefu' }] });
