/** The service config of the tutorial (Getting Started), step by step. */
export const SVC1_ID = '9e2c1f4a-52d8-4c43-9f8e-1b3a3c5f6d7e';

export const TUTORIAL_SVC1 = `[DEFAULT]
id = ${SVC1_ID}
app = MyApp
nodes = node1 node2

[ip#0]
ipname = svc1.opensvc.com
ipdev = eth0

[disk#0]
type = vg
name = vgsvc1
pvs = /dev/loop0

[fs#app]
type = ext4
dev = /dev/mapper/vgsvc1-lvappsvc1
mnt = /svc1/app

[fs#data]
type = ext4
dev = /dev/mapper/vgsvc1-lvdatasvc1
mnt = /svc1/data
`;

export const TUTORIAL_APP_WEB = `
[app#web]
script = weblauncher
start = 10
check = 10
stop = 90
`;

/** After "High Availability": orchestrate = ha and a monitored app. */
export const TUTORIAL_SVC1_HA = `[DEFAULT]
id = ${SVC1_ID}
app = MyApp
nodes = node1 node2
orchestrate = ha

[ip#0]
ipname = svc1.opensvc.com
ipdev = eth0

[disk#0]
type = vg
name = vgsvc1
pvs = /dev/loop0

[fs#app]
type = ext4
dev = /dev/mapper/vgsvc1-lvappsvc1
mnt = /svc1/app

[fs#data]
type = ext4
dev = /dev/mapper/vgsvc1-lvdatasvc1
mnt = /svc1/data

[app#web]
monitor = True
script = weblauncher
start = 10
check = 10
stop = 90
`;
