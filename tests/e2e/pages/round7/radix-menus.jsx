// Radix's DropdownMenu (@radix-ui/react-dropdown-menu) on React 18, as an app writes a picker
// with it after the library's own examples: the trigger shows the item chosen; an "Owner" of
// colleagues (items, and a radio group), a "Status" of words. Bundled by esbuild when the tests
// start (tests/e2e/test_redteam_round7.py, radix_capturing); nothing here was written for Overt.
import * as DropdownMenu from "@radix-ui/react-dropdown-menu";
import { useState } from "react";
import { createRoot } from "react-dom/client";

const PEOPLE = ["Perpetua Holloway", "Thaddeus Wrexham", "Ottoline Marchbank"];

function Picker({ id, choices, initial, radio }) {
  const [value, setValue] = useState(initial);
  return (
    <DropdownMenu.Root>
      <DropdownMenu.Trigger id={id} className="trigger">
        {value}
      </DropdownMenu.Trigger>
      <DropdownMenu.Portal>
        <DropdownMenu.Content className="content" sideOffset={4}>
          {radio ? (
            <DropdownMenu.RadioGroup value={value} onValueChange={setValue}>
              {choices.map((choice) => (
                <DropdownMenu.RadioItem key={choice} value={choice} className="item">
                  <DropdownMenu.ItemIndicator>•</DropdownMenu.ItemIndicator>
                  {choice}
                </DropdownMenu.RadioItem>
              ))}
            </DropdownMenu.RadioGroup>
          ) : (
            choices.map((choice) => (
              <DropdownMenu.Item key={choice} className="item" onSelect={() => setValue(choice)}>
                {choice}
              </DropdownMenu.Item>
            ))
          )}
        </DropdownMenu.Content>
      </DropdownMenu.Portal>
    </DropdownMenu.Root>
  );
}

function App() {
  return (
    <>
      <h1>Ticket</h1>
      <Picker id="owner" choices={PEOPLE} initial="Nobody" />
      <Picker id="approver" choices={PEOPLE} initial="Nobody" radio />
      <Picker id="status" choices={["Open", "In progress", "Closed"]} initial="Open" />
      <button id="done" type="button">Done</button>
    </>
  );
}

createRoot(document.getElementById("root")).render(<App />);
requestAnimationFrame(() => { document.body.dataset.ready = "yes"; });
