// The site model's collections in the admin API and how the console edits them (see crud.js).
import {api} from '/js/api.js';

const NAME_HINT = 'Lower-case letters, digits and dashes.';
/** What saving a change that takes access away from an account does (see docs/leases.md). */
const ENDS_ACCESS = 'revokes the user\'s connection leases and signs them out, on every node.';

/** Options for a select: the names in an admin API collection. */
function namesOf(collection, nameField = 'name') {
  return async () => (await api(`/admin/api/v1/${collection}`)).data.items.map(item => item[nameField]);
}

export const COLLECTIONS = [
  {
    path: 'pools', title: 'Pools', singular: 'pool',
    columns: [['Name', p => p.name], ['Sessions per host', p => p.maxSessionsPerHost], ['Location', p => p.location],
      ['Recorded', p => p.recordSessions ? 'yes' : 'no'], ['Description', p => p.description]],
    fields: [
      {name: 'name', label: 'Name', required: true, hint: NAME_HINT},
      {name: 'maxSessionsPerHost', label: 'Sessions per host', type: 'number', min: 1, max: 10000, required: true,
        value: 10},
      {name: 'location', label: 'Resource location', value: 'default'},
      {name: 'recordSessions', label: 'Record sessions', type: 'checkbox',
        hint: 'Browser terminals of its resources are recorded; see Recordings.'},
      {name: 'description', label: 'Description'},
    ],
  },
  {
    path: 'resources', title: 'Resources', singular: 'resource',
    columns: [['Name', r => r.name], ['Display name', r => r.displayName], ['Pool', r => r.pool], ['Kind', r => r.kind],
      ['Port', r => r.port], ['Launch hint', r => r.launchHint], ['Category', r => r.category || '']],
    fields: [
      {name: 'name', label: 'Name', required: true, hint: NAME_HINT},
      {name: 'displayName', label: 'Display name'},
      {name: 'pool', label: 'Pool', type: 'select', options: namesOf('pools'), required: true},
      {name: 'kind', label: 'Kind', type: 'select', options: async () => ['desktop', 'app'], required: true},
      {name: 'port', label: 'Port on the host', type: 'number', min: 1, max: 65535, required: true},
      {name: 'launchHint', label: 'Launch hint', hint: '"ssh" gives users a ready ssh command.'},
      {name: 'category', label: 'Category', hint: 'The store lists resources of one category together.'},
    ],
  },
  {
    path: 'entitlements', title: 'Entitlements', singular: 'entitlement', editable: false,
    describe: e => `${e.resource} for ${e.user ? `user ${e.user}` : `group ${e.group}`}`,
    columns: [['Resource', e => e.resource], ['User', e => e.user || ''], ['Group', e => e.group || '']],
    fields: [
      {name: 'resource', label: 'Resource', type: 'select', options: namesOf('resources'), required: true},
      {name: 'user', label: 'User', type: 'select', options: namesOf('users', 'username'),
        hint: 'A user or a group, not both.'},
      {name: 'group', label: 'Group', type: 'select', options: namesOf('groups')},
    ],
  },
  {
    path: 'users', title: 'Users', singular: 'user', nameField: 'username',
    deleting: u => `Deleting ${u.username} ${ENDS_ACCESS} It cannot be undone.`,
    columns: [['User name', u => u.username], ['Display name', u => u.displayName], ['Roles', u => u.roles.join(', ')],
      ['Groups', u => (u.groups || []).join(', ')], ['Disabled', u => u.disabled ? 'yes' : 'no']],
    fields: [
      {name: 'username', label: 'User name', required: true},
      {name: 'displayName', label: 'Display name'},
      {name: 'password', label: 'Password', type: 'password', requiredOnCreate: true,
        hint: `At least 12 characters; leave empty to keep it. Saving a new one ${ENDS_ACCESS}`,
        // an account here is checked against its own password only: without one it could never sign in, and it
        // would hide a directory account of the same name (see docs/directory.md)
        createHint: 'At least 12 characters. Users of a directory (LDAP, Active Directory) need no account here: '
          + 'they sign in with their directory password.'},
      {name: 'roles', label: 'Roles', type: 'checkboxes', options: async () => ['user', 'session-admin', 'admin'],
        value: ['user'], hint: `Saving with a role removed ${ENDS_ACCESS}`},
      {name: 'disabled', label: 'Disabled', type: 'checkbox', hint: `Saving with Disabled ticked ${ENDS_ACCESS}`},
    ],
  },
  {
    path: 'groups', title: 'Groups', singular: 'group',
    columns: [['Name', g => g.name], ['Members', g => g.members.join(', ')], ['Description', g => g.description]],
    fields: [
      {name: 'name', label: 'Name', required: true, hint: NAME_HINT},
      {name: 'members', label: 'Members', type: 'list', hint: 'User names, separated by commas.'},
      {name: 'description', label: 'Description'},
    ],
  },
];
