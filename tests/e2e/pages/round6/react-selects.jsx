// Select triggers of Headless UI (@headlessui/react) and Radix (@radix-ui/react-select) on
// React 18, as an app writes them after the libraries' own examples: an "Assignee" of
// colleagues and a "Priority" of words in each; and pickers built from Headless UI's Menu (its
// items drawn in a portal, the button showing the item chosen): an approver, a state. Bundled by esbuild when the tests start
// (tests/e2e/test_redteam_round6.py, react_bundle); nothing here was written for Overt.
import {
  Field,
  Label,
  Listbox,
  ListboxButton,
  ListboxOption,
  ListboxOptions,
  Menu,
  MenuButton,
  MenuItem,
  MenuItems,
} from "@headlessui/react";
import * as Select from "@radix-ui/react-select";
import { useState } from "react";
import { createRoot } from "react-dom/client";

const PEOPLE = ["Perpetua Holloway", "Thaddeus Wrexham", "Ottoline Marchbank"];
const PRIORITIES = ["Low", "High"];

function HeadlessPicker({ id, label, choices }) {
  const [value, setValue] = useState(choices[0]);
  return (
    <Field className="field">
      <Label>{label}</Label>
      <Listbox value={value} onChange={setValue}>
        <ListboxButton id={id}>{value}</ListboxButton>
        <ListboxOptions anchor="bottom start" className="options">
          {choices.map((choice) => (
            <ListboxOption key={choice} value={choice} className="option">
              {choice}
            </ListboxOption>
          ))}
        </ListboxOptions>
      </Listbox>
    </Field>
  );
}

function HeadlessMenuPicker({ id, choices }) {
  const [value, setValue] = useState("Nobody");
  return (
    <Menu>
      <MenuButton id={id}>{value}</MenuButton>
      <MenuItems anchor="bottom start" className="menu">
        {choices.map((choice) => (
          <MenuItem key={choice}>
            <button type="button" className="menu-item" onClick={() => setValue(choice)}>
              {choice}
            </button>
          </MenuItem>
        ))}
      </MenuItems>
    </Menu>
  );
}

function RadixPicker({ id, label, choices }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <Select.Root defaultValue={choices[0]}>
        <Select.Trigger id={id} className="trigger">
          <Select.Value />
          <Select.Icon>▾</Select.Icon>
        </Select.Trigger>
        <Select.Portal>
          <Select.Content className="content" position="popper">
            <Select.Viewport>
              {choices.map((choice) => (
                <Select.Item key={choice} value={choice} className="item">
                  <Select.ItemText>{choice}</Select.ItemText>
                </Select.Item>
              ))}
            </Select.Viewport>
          </Select.Content>
        </Select.Portal>
      </Select.Root>
    </div>
  );
}

function App() {
  return (
    <>
      <h1>Ticket</h1>
      <HeadlessPicker id="hui-assignee" label="Assignee" choices={PEOPLE} />
      <HeadlessPicker id="hui-priority" label="Priority" choices={PRIORITIES} />
      <HeadlessMenuPicker id="hui-approver" choices={PEOPLE} />
      <HeadlessMenuPicker id="hui-state" choices={["Draft", "In review"]} />
      <RadixPicker id="radix-reviewer" label="Reviewer" choices={PEOPLE} />
      <RadixPicker id="radix-priority" label="Urgency" choices={PRIORITIES} />
      <button id="done" type="button">Done</button>
    </>
  );
}

createRoot(document.getElementById("root")).render(<App />);
requestAnimationFrame(() => { document.body.dataset.ready = "yes"; });
