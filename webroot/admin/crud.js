// A list, create, edit and delete view for one admin API collection, driven by its spec in collections.js.
import {api, describe} from '/js/api.js';
import {fill, h, table} from '/js/ui.js';
import {confirmAction} from './confirm.js';

const API = '/admin/api/v1/';

export function crudView(spec) {
  return async (view) => {
    const nameOf = item => spec.describe ? spec.describe(item) : item[spec.nameField || 'name'];
    const status = h('p', {role: 'status', class: 'notice', id: 'crud-status'});
    const listHolder = h('div', {id: 'crud-list'});
    const formHolder = h('div', {id: 'crud-form'});
    view.append(h('h1', {}, spec.title), status, formHolder, listHolder);

    async function reload() {
      const {data} = await api(API + spec.path);
      fill(listHolder, table(spec.title, [...spec.columns.map(([title]) => title), 'Actions'],
        data.items.map(item => [...spec.columns.map(([, cell]) => String(cell(item) ?? '')), actions(item)])));
    }

    function actions(item) {
      const name = nameOf(item);
      const remove = h('button', {type: 'button', class: 'danger', 'aria-label': `Delete ${spec.singular} ${name}`,
        onclick: async () => {
          if (!await confirmAction({title: `Delete ${spec.singular} ${name}?`,
            message: spec.deleting ? spec.deleting(item) : 'This cannot be undone.', action: 'Delete'})) {
            return;
          }
          try {
            await api(`${API}${spec.path}/${encodeURIComponent(item.id)}`, {method: 'DELETE'});
            status.textContent = `Deleted ${spec.singular} ${name}.`;
            await reload();
          } catch (e) {
            status.textContent = describe(e, `delete ${spec.singular} ${name}`);
          }
        }}, 'Delete');
      return h('div', {class: 'actions'},
        spec.editable === false ? null : h('button', {type: 'button', class: 'secondary',
          'aria-label': `Edit ${spec.singular} ${name}`, onclick: () => showForm(item)}, 'Edit'),
        remove);
    }

    async function showForm(item) {
      fill(formHolder, await entityForm(spec, item, async (body) => {
        const {data} = item
          ? await api(`${API}${spec.path}/${encodeURIComponent(item.id)}`, {method: 'PUT', body})
          : await api(API + spec.path, {method: 'POST', body});
        status.textContent = `${item ? 'Saved' : 'Created'} ${spec.singular} ${nameOf(data)}.`;
        await showForm(null);
        await reload();
      }, () => showForm(null)));
      if (item) {
        formHolder.querySelector('input, select')?.focus();
      }
    }

    await Promise.all([showForm(null), reload()]);
  };
}

/** The create (item null) or edit form; onSubmit gets the JSON body and throws to show an error. */
async function entityForm(spec, item, onSubmit, onCancel) {
  const editing = Boolean(item);
  const prefix = `${spec.path}-field`;
  const error = h('p', {class: 'error', role: 'alert'});
  const inputs = await Promise.all(spec.fields.map(field => fieldInput(field, prefix, item)));
  const form = h('form', {class: 'inline', id: `${spec.path}-form`, novalidate: true},
    inputs.map(input => input.element),
    h('div', {class: 'actions'},
      h('button', {type: 'submit'}, editing ? 'Save' : `Create ${spec.singular}`),
      editing ? h('button', {type: 'button', class: 'secondary', onclick: onCancel}, 'Cancel') : null));
  form.addEventListener('submit', async event => {
    event.preventDefault();
    error.textContent = '';
    const body = {};
    for (const input of inputs) {
      const value = input.value();
      if (value !== undefined) {
        body[input.field.name] = value;
      }
    }
    const missing = spec.fields.filter(f => required(f, editing) && (body[f.name] === undefined
      || body[f.name] === ''));
    if (missing.length > 0) {
      error.textContent = `Fill in: ${missing.map(f => f.label).join(', ')}.`;
      return;
    }
    const submit = form.querySelector('button[type="submit"]');
    submit.disabled = true;
    try {
      await onSubmit(body);
    } catch (e) {
      error.textContent = describe(e, `${editing ? 'save' : 'create'} the ${spec.singular}`);
      submit.disabled = false;
    }
  });
  const title = editing ? `Edit ${spec.singular} ${item[spec.nameField || 'name'] || ''}`.trim()
    : `New ${spec.singular}`;
  return h('section', {class: 'card', 'aria-labelledby': `${spec.path}-form-heading`},
    h('h2', {id: `${spec.path}-form-heading`}, title), form, error);
}

/** Whether a field must be filled in: always, or only in the create form (a new account's password). */
function required(field, editing) {
  return Boolean(field.required || (!editing && field.requiredOnCreate));
}

/** One labelled input; value() gives what to send, or undefined to leave the field out. */
async function fieldInput(field, prefix, item) {
  const id = `${prefix}-${field.name}`;
  const current = item ? item[field.name] : field.value;
  const hintText = !item && field.createHint ? field.createHint : field.hint;
  const hintId = hintText ? `${id}-hint` : null;
  const hint = hintText ? h('span', {class: 'muted hint', id: hintId}, hintText) : null;
  const isRequired = required(field, Boolean(item));
  const type = field.type || 'text';
  if (type === 'select') {
    const names = await field.options();
    const select = h('select', {id, name: field.name, required: isRequired, 'aria-describedby': hintId},
      h('option', {value: ''}, isRequired ? 'Choose…' : '(none)'),
      names.map(name => h('option', {value: name, selected: name === current}, name)));
    return {field, element: h('label', {for: id}, field.label, select, hint),
      value: () => select.value === '' ? undefined : select.value};
  }
  if (type === 'checkboxes') {
    const names = await field.options();
    const boxes = names.map(name => h('input', {type: 'checkbox', id: `${id}-${name}`, value: name,
      checked: (current || []).includes(name)}));
    return {field, element: h('fieldset', {id, 'aria-describedby': hintId}, h('legend', {}, field.label),
      boxes.map((box, i) => h('label', {class: 'check', for: box.id}, box, names[i])), hint),
    value: () => boxes.filter(b => b.checked).map(b => b.value)};
  }
  if (type === 'checkbox') {
    const box = h('input', {type: 'checkbox', id, name: field.name, checked: Boolean(current),
      'aria-describedby': hintId});
    return {field, value: () => box.checked,
      element: h('div', {class: 'field'}, h('label', {class: 'check', for: id}, box, field.label), hint)};
  }
  const input = h('input', {id, name: field.name, type: type === 'list' ? 'text' : type, required: isRequired,
    min: field.min, max: field.max, 'aria-describedby': hintId, autocomplete: type === 'password' ? 'new-password' : 'off',
    value: type === 'list' ? (current || []).join(', ') : (current ?? '')});
  return {field, element: h('label', {for: id}, field.label, input, hint), value: () => {
    const text = input.value.trim();
    if (type === 'number') {
      return text === '' ? undefined : Number(text);
    }
    if (type === 'list') {
      return text === '' ? [] : text.split(',').map(s => s.trim()).filter(Boolean);
    }
    if (type === 'password') {
      return text === '' ? undefined : input.value;
    }
    return text === '' && !field.required ? (item ? '' : undefined) : text;
  }};
}
