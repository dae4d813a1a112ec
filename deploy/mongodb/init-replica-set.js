// Run once against any member (mongosh --file): creates the 3-member replica
// set rs0, or does nothing when it already exists. Safe to rerun.
const members = [
  { _id: 0, host: 'mongo1:27017', priority: 2 },
  { _id: 1, host: 'mongo2:27017', priority: 1 },
  { _id: 2, host: 'mongo3:27017', priority: 1 },
];

let initialised = false;
try {
  initialised = rs.status().ok === 1;
} catch (err) {
  if (!/no replset config|NotYetInitialized/i.test(String(err))) throw err;
}

if (initialised) {
  print('replica set rs0 already initialised');
} else {
  // Majority writes must wait for a majority of data-bearing members: no arbiters.
  rs.initiate({ _id: 'rs0', members, writeConcernMajorityJournalDefault: true });
  print('replica set rs0 initiated');
}

// Wait until a primary is elected, so that services started after this step can write.
for (let i = 0; i < 60; i++) {
  const hello = db.adminCommand({ hello: 1 });
  if (hello.isWritablePrimary || hello.primary) {
    print(`primary: ${hello.primary}`);
    quit(0);
  }
  sleep(1000);
}
print('no primary elected within 60 s');
quit(1);
